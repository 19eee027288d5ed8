/* test_vmm: the VMM core around the hart: SBI, virtio-mmio + virtio-blk +
 * virtio-console, shadow page tables, and whole guest boots in interpretation and
 * trap-and-emulate mode against tests/golden/guest-console.txt.
 *
 * The boots need build/guest/kernel.elf (`make -C guest`); a missing image
 * fails unless VMMSIM_QUICK is set (then those cases are skipped). The disk
 * is the same 1 MiB image the QEMU test builds (sector 0: byte i = i % 251).
 */
#include "tests/testutil.h"
#include "tests/unit/guestutil.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/sbi.h"
#include "vmm/shadow.h"
#include "vmm/trap.h"
#include "vmm/virtio_blk.h"
#include "vmm/virtio_console.h"
#include "vmm/virtio_mmio.h"
#include "vmm/vm.h"
#include "vmm/vmcli.h"

#define GOLDEN_PATH "tests/golden/guest-console.txt"
#define BOOT_LINE "vmmsim-guest: boot\n"
#define DISK_BYTES GUEST_DISK_BYTES
#define RUN_LIMIT 400000000ULL     /* the golden run takes about 24 M */

/* ---------------------------------------------------------------- helpers */


/* 1 if the kernel image is there; skip (0) under VMMSIM_QUICK, else fail. */
static int kernel_ready(void)
{
    if (access(guest_kernel_path(), R_OK) == 0)
        return 1;
    if (test_quick())
        return 0;
    ck_abort_msg("%s missing: run `make -C guest` first", guest_kernel_path());
    return 0;
}


struct tmpdisk {
    char dir[64], path[96];
};

static void make_disk(struct tmpdisk *d)
{
    strcpy(d->dir, "/tmp/vmmsim-vmm-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(d->dir));
    snprintf(d->path, sizeof d->path, "%s/disk.img", d->dir);
    guest_write_disk(d->path);
}

static void drop_disk(struct tmpdisk *d)
{
    unlink(d->path);
    rmdir(d->dir);
}

/* Non-zero if needle (n bytes) occurs in hay (len bytes). */
static int contains(const uint8_t *hay, size_t len, const char *needle, size_t n)
{
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return 1;
    return 0;
}

/* Console capture: one growing buffer per VM. */
struct capture {
    char *buf[2];
    size_t len[2], cap[2];
};

static void capture_fn(void *opaque, int id, const char *s, size_t n)
{
    struct capture *c = opaque;
    if (c->len[id] + n + 1 > c->cap[id]) {
        c->cap[id] = (c->len[id] + n + 1) * 2;
        c->buf[id] = realloc(c->buf[id], c->cap[id]);
        ck_assert_ptr_nonnull(c->buf[id]);
    }
    memcpy(c->buf[id] + c->len[id], s, n);
    c->len[id] += n;
    c->buf[id][c->len[id]] = '\0';
}

static struct vm *make_vm(int id, enum vm_mode mode, const char *disk, int private_disk,
                          struct capture *cap)
{
    char err[256];
    struct vm_config cfg = {.id = id, .mode = mode, .mem = VM_MEM_DEFAULT,
                            .kernel = guest_kernel_path(), .disk = disk, .disk_private = private_disk,
                            .console = capture_fn, .console_opaque = cap};
    struct vm *vm = vm_new(&cfg, err, sizeof err);
    ck_assert_msg(vm != NULL, "vm_new: %s", err);
    return vm;
}

/* Round-robin the VMs until all stop (bounded). */
static void run_vms(struct vm **vms, int n)
{
    for (int live = n; live;) {
        live = 0;
        for (int i = 0; i < n; i++) {
            if (vms[i]->state != VM_RUNNING)
                continue;
            vm_run(vms[i], 1000000);
            ck_assert_int_eq(vm_check(vms[i]), 0);
            ck_assert_msg(vm_time(vms[i]) < RUN_LIMIT, "vm%d runs away", i);
            live += vms[i]->state == VM_RUNNING;
        }
    }
    for (int i = 0; i < n; i++)
        vm_console_flush(vms[i]);
}

/* Fails at the first differing line of got (from the boot line on). */
static void assert_golden(const char *got_all)
{
    char *want = guest_slurp(GOLDEN_PATH, NULL);
    ck_assert_ptr_nonnull(got_all);
    const char *got = strstr(got_all, BOOT_LINE);
    ck_assert_msg(got != NULL, "no boot line in:\n%s", got_all);
    const char *g = got, *w = want;
    int line = 1;
    while (*g && *g == *w) {
        line += *g == '\n';
        g++, w++;
    }
    if (*g != *w) {
        while (g > got && g[-1] != '\n')
            g--, w--;
        ck_abort_msg("console differs at line %d:\n  got:  %.*s\n  want: %.*s", line,
                     (int)strcspn(g, "\n"), g, (int)strcspn(w, "\n"), w);
    }
    free(want);
}

/* One VM in mode from a fresh disk: golden console, clean shutdown, the
 * kernel's self-test page on the disk file, badread killed. */
static void boot_one(enum vm_mode mode, uint64_t *icount)
{
    struct tmpdisk d;
    struct capture cap;
    memset(&cap, 0, sizeof cap);
    make_disk(&d);
    struct vm *vm = make_vm(0, mode, d.path, 0, &cap);
    run_vms(&vm, 1);
    ck_assert_msg(vm->state == VM_OFF_OK, "state %s: %s", vm_state_name(vm->state), vm->msg);
    assert_golden(cap.buf[0]);
    ck_assert_ptr_nonnull(strstr(cap.buf[0],
        "kill: pid 6 (badread) page fault scause=13 stval=0x80200000\n"
        "init: badread exited with status -1\n"));
    *icount = vm->cpu->icount;
    ck_assert_int_eq(vm_check(vm), 0);
    if (mode != VM_MODE_INTERPRET) {
        /* the guest switched address spaces and wrote live page tables */
        ck_assert_uint_gt(vm->stats.exits[VM_X_SFENCE], 0);
        ck_assert_uint_gt(vm->stats.exits[VM_X_PT_WRITE], 0);
        ck_assert_uint_gt(vm->stats.exits[VM_X_SHADOW_FILL], 0);
    }
    /* 3 disk requests: read sector 0, write 8..15, read them back */
    uint64_t ok, bad;
    vblk_counts(vm->blk, &ok, &bad);
    ck_assert_uint_eq(ok, 3);
    ck_assert_uint_eq(bad, 0);
    /* every console byte came through the virtio console */
    uint64_t con_bytes;
    vcon_counts(vm->con, &con_bytes, &ok, &bad);
    ck_assert_uint_eq(con_bytes, strlen(cap.buf[0]));
    ck_assert_uint_gt(ok, 0);
    ck_assert_uint_eq(bad, 0);
    ck_assert_uint_gt(vm->stats.exits[VM_X_TIMER], 0);   /* preemption happened */
    vm_free(vm);
    size_t n;
    char *img = guest_slurp(d.path, &n);
    ck_assert_uint_eq(n, DISK_BYTES);
    for (int i = 0; i < 8 * 512; i++)
        ck_assert_uint_eq((uint8_t)img[8 * 512 + i], (uint8_t)(i * 13 + 7));
    free(img);
    free(cap.buf[0]);
    drop_disk(&d);
}

/* ------------------------------------------------------------ guest boots */

START_TEST(interpret_golden)
{
    if (!kernel_ready())
        return;
    uint64_t a, b;
    boot_one(VM_MODE_INTERPRET, &a);
    boot_one(VM_MODE_INTERPRET, &b);
    ck_assert_uint_eq(a, b);                   /* deterministic */
}
END_TEST

START_TEST(trap_golden)
{
    if (!kernel_ready())
        return;
    uint64_t a, b;
    boot_one(VM_MODE_TRAP, &a);
    boot_one(VM_MODE_TRAP, &b);
    ck_assert_uint_eq(a, b);
}
END_TEST

/* Two trap-mode VMs on one host sharing an image read-only: both golden, and
 * neither sees the other's RAM or disk. */
START_TEST(two_vms_isolated)
{
    if (test_quick() || !kernel_ready())
        return;
    struct tmpdisk d;
    struct capture cap;
    memset(&cap, 0, sizeof cap);
    make_disk(&d);
    struct vm *vms[2] = {make_vm(0, VM_MODE_TRAP, d.path, 1, &cap),
                         make_vm(1, VM_MODE_TRAP, d.path, 1, &cap)};
    run_vms(vms, 2);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(vms[i]->state, VM_OFF_OK);
        assert_golden(cap.buf[i]);
    }
    /* private disks: each guest's write is in its own image, not the file */
    ck_assert_uint_eq(vblk_image(vms[0]->blk)[8 * 512 + 1], 20);
    ck_assert_ptr_ne(vblk_image(vms[0]->blk), vblk_image(vms[1]->blk));
    size_t n;
    char *img = guest_slurp(d.path, &n);
    ck_assert_uint_eq((uint8_t)img[8 * 512 + 1], 0);
    free(img);
    /* a marker in A's RAM is not in B's RAM nor B's disk */
    static const char marker[] = "vm-A-private-marker";
    uint64_t gpa = VM_RAM_BASE + 0x10000;
    char got[sizeof marker];
    ck_assert_int_eq(phys_write(vms[0]->phys, gpa, marker, sizeof marker), 0);
    ck_assert_int_eq(phys_read(vms[1]->phys, gpa, got, sizeof got), 0);
    ck_assert(memcmp(got, marker, sizeof marker) != 0);
    ck_assert(!contains(vblk_image(vms[1]->blk), DISK_BYTES, marker, sizeof marker - 1));
    ck_assert(!contains(vblk_image(vms[0]->blk), DISK_BYTES, marker, sizeof marker - 1));
    for (int i = 0; i < 2; i++) {
        vm_free(vms[i]);
        free(cap.buf[i]);
    }
    drop_disk(&d);
}
END_TEST

/* ------------------------------------------------------------------ SBI */

struct sbi_rec {
    int putc, timers, resets;
    uint64_t when;
    uint32_t type, reason;
};

static void rec_putchar(void *o, int ch) { ((struct sbi_rec *)o)->putc = ch; }
static void rec_timer(void *o, uint64_t t) { ((struct sbi_rec *)o)->timers++; ((struct sbi_rec *)o)->when = t; }
static void rec_reset(void *o, uint32_t type, uint32_t reason)
{
    struct sbi_rec *r = o;
    r->resets++;
    r->type = type;
    r->reason = reason;
}

static struct sbi_ret call(const struct sbi_platform *p, uint64_t eid, uint64_t fid,
                           uint64_t a0, uint64_t a1)
{
    uint64_t a[8] = {a0, a1, 0, 0, 0, 0, fid, eid};
    return sbi_call(p, a);
}

START_TEST(sbi_errors)
{
    struct sbi_rec r = {0};
    struct sbi_platform p = {rec_putchar, rec_timer, rec_reset, NULL, &r};
    ck_assert_int_eq(call(&p, 0x12345678, 0, 0, 0).error, SBI_ERR_NOT_SUPPORTED);
    ck_assert_int_eq(call(&p, SBI_EID_TIME, 1, 5, 0).error, SBI_ERR_NOT_SUPPORTED);
    ck_assert_int_eq(call(&p, SBI_EID_SRST, 0, 9, 0).error, SBI_ERR_INVALID_PARAM);
    ck_assert_int_eq(call(&p, SBI_EID_SRST, 0, 0, 7).error, SBI_ERR_INVALID_PARAM);
    ck_assert_int_eq(call(&p, SBI_EID_SRST, 0, 1, 0).error, SBI_ERR_NOT_SUPPORTED);  /* reboot */
    ck_assert_int_eq(call(&p, SBI_EID_SRST, 3, 0, 0).error, SBI_ERR_NOT_SUPPORTED);
    ck_assert_int_eq(call(&p, SBI_EID_VMMSIM, 0, 0, 0).error, SBI_ERR_NOT_SUPPORTED);
    ck_assert_int_eq(call(&p, SBI_EID_BASE, 99, 0, 0).error, SBI_ERR_NOT_SUPPORTED);
    ck_assert_int_eq(r.timers + r.resets + r.putc, 0);     /* nothing acted on */
    /* the good calls */
    struct sbi_ret v = call(&p, SBI_EID_BASE, 3, SBI_EID_TIME, 0);
    ck_assert_int_eq(v.error, 0);
    ck_assert_int_eq(v.value, 1);
    ck_assert_int_eq(call(&p, SBI_EID_BASE, 3, SBI_EID_VMMSIM, 0).value, 0);
    ck_assert_int_eq(call(&p, SBI_EID_BASE, 0, 0, 0).value, 2 << 24);
    ck_assert_int_eq(call(&p, SBI_EID_TIME, 0, 12345, 0).error, 0);
    ck_assert_uint_eq(r.when, 12345);
    v = call(&p, SBI_EID_LEGACY_PUTCHAR, 0, 0x141, 0);
    ck_assert_int_eq(v.legacy, 1);
    ck_assert_int_eq(r.putc, 0x41);
    ck_assert_int_eq(call(&p, SBI_EID_SRST, 0, 0, 1).error, 0);
    ck_assert_int_eq(r.resets, 1);
    ck_assert_uint_eq(r.reason, 1);
}
END_TEST

/* -------------------------------------------------------------- virtio */

#define G_BASE 0x80000000ULL
#define G_SIZE (1ULL << 20)
#define Q_DESC (G_BASE + 0x1000)
#define Q_AVAIL (G_BASE + 0x2000)
#define Q_USED (G_BASE + 0x3000)
#define REQ_HDR (G_BASE + 0x4000)
#define REQ_DATA (G_BASE + 0x5000)
#define REQ_STATUS (G_BASE + 0x7000)
#define QN 8

struct vio {
    struct phys *p;
    struct vblk *b;
    struct virtio_mmio t;
    uint16_t avail;
};

static uint32_t rreg(struct vio *v, uint64_t off)
{
    uint64_t x = 0;
    ck_assert_int_eq(virtio_mmio_read(&v->t, off, 4, &x), 0);
    return (uint32_t)x;
}

static void wreg(struct vio *v, uint64_t off, uint32_t x)
{
    ck_assert_int_eq(virtio_mmio_write(&v->t, off, 4, x), 0);
}

static void vio_setup(struct vio *v)
{
    uint8_t img[16 * 512];
    for (unsigned i = 0; i < sizeof img; i++)
        img[i] = (uint8_t)(i / 512 + 1);          /* sector k holds byte k+1 */
    memset(v, 0, sizeof *v);
    v->p = phys_new(G_BASE, G_SIZE);
    v->b = vblk_new_mem(img, sizeof img);
    ck_assert_ptr_nonnull(v->p);
    ck_assert_ptr_nonnull(v->b);
    ck_assert_int_eq(virtio_mmio_attach(&v->t, v->p, 0x10001000, G_BASE, G_SIZE, &vblk_ops, v->b), 0);
    ck_assert_uint_eq(rreg(v, 0x000), VIRTIO_MAGIC);
    ck_assert_uint_eq(rreg(v, 0x004), 2);
    ck_assert_uint_eq(rreg(v, 0x008), 2);
    wreg(v, 0x070, VIRTIO_ST_ACK | VIRTIO_ST_DRIVER);
    /* a legacy driver (no VERSION_1) is refused */
    wreg(v, 0x070, VIRTIO_ST_ACK | VIRTIO_ST_DRIVER | VIRTIO_ST_FEATURES_OK);
    ck_assert_uint_eq(rreg(v, 0x070) & VIRTIO_ST_FEATURES_OK, 0);
    wreg(v, 0x024, 1);
    wreg(v, 0x020, 1);                          /* VERSION_1 */
    wreg(v, 0x070, VIRTIO_ST_ACK | VIRTIO_ST_DRIVER | VIRTIO_ST_FEATURES_OK);
    ck_assert_uint_eq(rreg(v, 0x070) & VIRTIO_ST_FEATURES_OK, VIRTIO_ST_FEATURES_OK);
    wreg(v, 0x038, QN);
    wreg(v, 0x080, (uint32_t)Q_DESC);
    wreg(v, 0x090, (uint32_t)Q_AVAIL);
    wreg(v, 0x0a0, (uint32_t)Q_USED);
    wreg(v, 0x044, 1);
    wreg(v, 0x070, 15);
    uint64_t cap;
    ck_assert_int_eq(virtio_mmio_read(&v->t, 0x100, 4, &cap), 0);
    ck_assert_uint_eq(cap, 16);
}

static void vio_free(struct vio *v)
{
    vblk_free(v->b);
    phys_free(v->p);
}

static void put_desc(struct vio *v, int i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    struct { uint64_t a; uint32_t l; uint16_t f, n; } d = {addr, len, flags, next};
    ck_assert_int_eq(phys_write(v->p, Q_DESC + 16ULL * (uint64_t)i, &d, 16), 0);
}

/* Standard 3-descriptor request (type, sector, count sectors); returns
 * the status byte (0xee: untouched) and the used length through *len. */
static uint8_t submit(struct vio *v, uint16_t head, uint32_t type, uint64_t sector, uint32_t count,
                      uint32_t *len)
{
    struct { uint32_t type, res; uint64_t sector; } h = {type, 0, sector};
    uint8_t st = 0xee;
    uint16_t used_before, used_after;
    phys_write(v->p, REQ_HDR, &h, sizeof h);
    phys_write(v->p, REQ_STATUS, &st, 1);
    phys_write(v->p, Q_AVAIL + 4 + 2ULL * (v->avail % QN), &head, 2);
    v->avail++;
    phys_write(v->p, Q_AVAIL + 2, &v->avail, 2);
    (void)count;
    phys_read(v->p, Q_USED + 2, &used_before, 2);
    wreg(v, 0x050, 0);
    phys_read(v->p, Q_USED + 2, &used_after, 2);
    *len = 0xdead;
    if (used_after != used_before)
        phys_read(v->p, Q_USED + 4 + 8ULL * (used_before % QN) + 4, len, 4);
    phys_read(v->p, REQ_STATUS, &st, 1);
    return st;
}

static void chain3(struct vio *v, uint32_t count, int device_writes)
{
    put_desc(v, 0, REQ_HDR, 16, VIRTIO_DESC_F_NEXT, 1);
    put_desc(v, 1, REQ_DATA, count * 512,
             VIRTIO_DESC_F_NEXT | (device_writes ? VIRTIO_DESC_F_WRITE : 0), 2);
    put_desc(v, 2, REQ_STATUS, 1, VIRTIO_DESC_F_WRITE, 0);
}

START_TEST(virtio_good_and_malformed)
{
    struct vio v;
    uint32_t len;
    uint8_t buf[1024];
    vio_setup(&v);
    /* good read of sectors 3..4: 1024 data bytes + status */
    chain3(&v, 2, 1);
    ck_assert_uint_eq(submit(&v, 0, 0, 3, 2, &len), VBLK_S_OK);
    ck_assert_uint_eq(len, 1025);
    phys_read(v.p, REQ_DATA, buf, sizeof buf);
    ck_assert_uint_eq(buf[0], 4);
    ck_assert_uint_eq(buf[1023], 5);
    /* out of range: sector 15 + 2 sectors > 16, and sector far beyond */
    ck_assert_uint_eq(submit(&v, 0, 0, 15, 2, &len), VBLK_S_IOERR);
    ck_assert_uint_eq(len, 1);
    ck_assert_uint_eq(submit(&v, 0, 1, 1ULL << 60, 2, &len), VBLK_S_IOERR);
    /* a write crossing the end changes nothing */
    chain3(&v, 2, 0);
    memset(buf, 0x77, sizeof buf);
    phys_write(v.p, REQ_DATA, buf, sizeof buf);
    ck_assert_uint_eq(submit(&v, 0, 1, 15, 2, &len), VBLK_S_IOERR);
    ck_assert_uint_eq(vblk_image(v.b)[15 * 512], 16);
    /* a read into a device-readable buffer, an unknown type */
    ck_assert_uint_eq(submit(&v, 0, 0, 0, 2, &len), VBLK_S_IOERR);
    ck_assert_uint_eq(submit(&v, 0, 4, 0, 2, &len), VBLK_S_UNSUPP);
    /* data buffer outside guest RAM: chain rejected, completed with len 0 */
    put_desc(&v, 1, G_BASE + G_SIZE - 512, 1024, VIRTIO_DESC_F_NEXT | VIRTIO_DESC_F_WRITE, 2);
    ck_assert_uint_eq(submit(&v, 0, 0, 0, 2, &len), 0xee);
    ck_assert_uint_eq(len, 0);
    /* next index out of range, and a loop */
    put_desc(&v, 1, REQ_DATA, 512, VIRTIO_DESC_F_NEXT | VIRTIO_DESC_F_WRITE, 200);
    ck_assert_uint_eq(submit(&v, 0, 0, 0, 1, &len), 0xee);
    ck_assert_uint_eq(len, 0);
    put_desc(&v, 1, REQ_DATA, 512, VIRTIO_DESC_F_NEXT | VIRTIO_DESC_F_WRITE, 0);
    ck_assert_uint_eq(submit(&v, 0, 0, 0, 1, &len), 0xee);
    ck_assert_uint_eq(len, 0);
    /* status descriptor not writable: nowhere to report, used len 0 */
    chain3(&v, 1, 1);
    put_desc(&v, 2, REQ_STATUS, 1, 0, 0);
    ck_assert_uint_eq(submit(&v, 0, 0, 0, 1, &len), 0xee);
    ck_assert_uint_eq(len, 0);
    uint64_t ok, bad;
    vblk_counts(v.b, &ok, &bad);
    ck_assert_uint_eq(ok, 1);
    ck_assert_uint_eq(bad, 8);
    /* a head index beyond the queue: device wants a reset, nothing used */
    ck_assert_uint_eq(submit(&v, 9, 0, 0, 1, &len), 0xee);
    ck_assert_uint_eq(len, 0xdead);
    ck_assert_uint_eq(rreg(&v, 0x070) & VIRTIO_ST_NEEDS_RESET, VIRTIO_ST_NEEDS_RESET);
    /* sizes other than 4 bytes fault; an empty slot reads device id 0 */
    uint64_t x;
    ck_assert_int_eq(virtio_mmio_read(&v.t, 0, 2, &x), -EINVAL);
    struct virtio_mmio empty;
    ck_assert_int_eq(virtio_mmio_attach(&empty, v.p, 0x10002000, G_BASE, G_SIZE, NULL, NULL), 0);
    ck_assert_int_eq(virtio_mmio_read(&empty, 8, 4, &x), 0);
    ck_assert_uint_eq(x, 0);
    vio_free(&v);
}
END_TEST

/* virtio console: a hand-built transmitq (queue 1) and receiveq (queue 0) */
#define C_RXQ (G_BASE + 0x8000)     /* receiveq: desc, avail, used at +0/+0x100/+0x200 */
#define C_SCRATCH (G_BASE + 0x9000)

struct sink_rec {
    char buf[64];
    size_t n;
    int calls;
};

static void sink_fn(void *opaque, const uint8_t *b, size_t len)
{
    struct sink_rec *r = opaque;
    ck_assert_uint_le(r->n + len, sizeof r->buf);
    memcpy(r->buf + r->n, b, len);
    r->n += len;
    r->calls++;
}

static void con_queue(struct vio *v, uint32_t q, uint64_t desc, uint64_t avail, uint64_t used)
{
    wreg(v, 0x030, q);
    ck_assert_uint_eq(rreg(v, 0x044), 0);
    wreg(v, 0x038, QN);
    wreg(v, 0x080, (uint32_t)desc);
    wreg(v, 0x090, (uint32_t)avail);
    wreg(v, 0x0a0, (uint32_t)used);
    wreg(v, 0x044, 1);
}

/* Offer head on the transmitq and notify; returns the used ring index. */
static uint16_t con_send(struct vio *v, uint16_t head)
{
    uint16_t used;
    phys_write(v->p, Q_AVAIL + 4 + 2ULL * (v->avail % QN), &head, 2);
    v->avail++;
    phys_write(v->p, Q_AVAIL + 2, &v->avail, 2);
    wreg(v, 0x050, VCON_TRANSMITQ);
    phys_read(v->p, Q_USED + 2, &used, 2);
    return used;
}

START_TEST(virtio_console_transmit)
{
    struct vio v;
    struct sink_rec rec = {{0}, 0, 0};
    memset(&v, 0, sizeof v);
    v.p = phys_new(G_BASE, G_SIZE);
    ck_assert_ptr_nonnull(v.p);
    struct vcon *c = vcon_new(sink_fn, &rec);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(virtio_mmio_attach(&v.t, v.p, 0x10001000, G_BASE, G_SIZE, &vcon_ops, c), 0);
    ck_assert_uint_eq(rreg(&v, 0x008), 3);
    wreg(&v, 0x024, 1);
    wreg(&v, 0x020, 1);                          /* VERSION_1 only */
    wreg(&v, 0x070, VIRTIO_ST_ACK | VIRTIO_ST_DRIVER | VIRTIO_ST_FEATURES_OK);
    ck_assert_uint_eq(rreg(&v, 0x070) & VIRTIO_ST_FEATURES_OK, VIRTIO_ST_FEATURES_OK);
    con_queue(&v, VCON_RECEIVEQ, C_RXQ, C_RXQ + 0x100, C_RXQ + 0x200);
    con_queue(&v, VCON_TRANSMITQ, Q_DESC, Q_AVAIL, Q_USED);
    wreg(&v, 0x070, 15);
    uint64_t x = 1;
    ck_assert_int_eq(virtio_mmio_read(&v.t, 0x100, 4, &x), 0);   /* cols, rows */
    ck_assert_uint_eq(x, 0);
    ck_assert_int_eq(virtio_mmio_read(&v.t, 0x10c, 4, &x), -EINVAL);

    /* a 2-descriptor chain "hello, " + "world\n", then a 1-descriptor "!!" */
    phys_write(v.p, REQ_DATA, "hello, ", 7);
    phys_write(v.p, REQ_DATA + 0x100, "world\n", 6);
    phys_write(v.p, REQ_DATA + 0x200, "!!", 2);
    put_desc(&v, 0, REQ_DATA, 7, VIRTIO_DESC_F_NEXT, 1);
    put_desc(&v, 1, REQ_DATA + 0x100, 6, 0, 0);
    put_desc(&v, 2, REQ_DATA + 0x200, 2, 0, 0);
    ck_assert_uint_eq(con_send(&v, 0), 1);
    ck_assert_uint_eq(con_send(&v, 2), 2);
    ck_assert_uint_eq(rec.n, 15);
    ck_assert_int_eq(memcmp(rec.buf, "hello, world\n!!", 15), 0);
    uint32_t elem[4];
    phys_read(v.p, Q_USED + 4, elem, sizeof elem);
    ck_assert_uint_eq(elem[0], 0);               /* head 0, nothing written */
    ck_assert_uint_eq(elem[1], 0);
    ck_assert_uint_eq(elem[2], 2);
    ck_assert_uint_eq(elem[3], 0);
    ck_assert_uint_eq(rreg(&v, 0x060) & 1, 1);   /* used-buffer interrupt */

    /* receiveq: a posted buffer stays with the device (no input) */
    uint16_t zero = 0, one = 1, rx_used = 7;
    struct { uint64_t a; uint32_t l; uint16_t f, n; } rd = {C_SCRATCH, 16, VIRTIO_DESC_F_WRITE, 0};
    phys_write(v.p, C_RXQ, &rd, 16);
    phys_write(v.p, C_RXQ + 0x100 + 4, &zero, 2);
    phys_write(v.p, C_RXQ + 0x100 + 2, &one, 2);
    wreg(&v, 0x050, VCON_RECEIVEQ);
    phys_read(v.p, C_RXQ + 0x200 + 2, &rx_used, 2);
    ck_assert_uint_eq(rx_used, 0);

    /* malformed: next index out of range, a device-writable buffer, a
     * buffer outside RAM: each completed (len 0), nothing printed */
    put_desc(&v, 3, REQ_DATA, 7, VIRTIO_DESC_F_NEXT, 200);
    ck_assert_uint_eq(con_send(&v, 3), 3);
    put_desc(&v, 3, REQ_DATA, 7, VIRTIO_DESC_F_WRITE, 0);
    ck_assert_uint_eq(con_send(&v, 3), 4);
    put_desc(&v, 3, G_BASE + G_SIZE - 4, 7, 0, 0);
    ck_assert_uint_eq(con_send(&v, 3), 5);
    ck_assert_uint_eq(rec.n, 15);
    /* a head index beyond the queue: nothing used, device wants a reset */
    ck_assert_uint_eq(con_send(&v, 9), 5);
    ck_assert_uint_eq(rreg(&v, 0x070) & VIRTIO_ST_NEEDS_RESET, VIRTIO_ST_NEEDS_RESET);
    uint64_t bytes, ok, bad;
    vcon_counts(c, &bytes, &ok, &bad);
    ck_assert_uint_eq(bytes, 15);
    ck_assert_uint_eq(ok, 2);
    ck_assert_uint_eq(bad, 4);
    ck_assert_uint_eq(rec.n, 15);
    vcon_free(c);
    phys_free(v.p);
}
END_TEST

/* xorshift64*: deterministic randomness for the robustness loops */
static uint64_t rnd(uint64_t *st)
{
    *st ^= *st >> 12;
    *st ^= *st << 25;
    *st ^= *st >> 27;
    return *st * 2685821657736338717ULL;
}

/* Random rings and chains (indices, flags, lengths, addresses inside and
 * outside RAM, avail index jumps) never crash the device, never touch the
 * image outside a well-formed OUT request, and the device keeps answering
 * (after NEEDS_RESET the driver resets it, as a real one would). */
START_TEST(virtio_random_requests)
{
    struct vio v;
    uint64_t st = 0x9e3779b97f4a7c15ULL;
    vio_setup(&v);
    uint8_t before[16 * 512];
    memcpy(before, vblk_image(v.b), sizeof before);
    int n = test_quick() ? 300 : 3000, writes_ok = 0, resets = 0;
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < QN; k++) {
            uint64_t r = rnd(&st);
            uint64_t addr = (r & 1) ? G_BASE + (rnd(&st) % (G_SIZE + 8192)) : rnd(&st);
            put_desc(&v, k, (r & 2) ? REQ_HDR + 0x1000 * (r >> 60 & 3) : addr,
                     (uint32_t)(rnd(&st) % 1400), (uint16_t)(rnd(&st) & 7),
                     (uint16_t)(rnd(&st) % 12));
        }
        struct { uint32_t type, res; uint64_t sector; } h = {(uint32_t)(rnd(&st) % 3), 0,
                                                            rnd(&st) % 20};
        if (rnd(&st) % 4 == 0) {         /* a well-formed chain now and then */
            uint8_t fill[1024];
            memset(fill, 0x40 + i % 64, sizeof fill);
            phys_write(v.p, REQ_DATA, fill, sizeof fill);
            chain3(&v, 1 + (uint32_t)(rnd(&st) % 2), h.type == 0);
        }
        phys_write(v.p, REQ_HDR, &h, sizeof h);
        uint16_t head = (uint16_t)(rnd(&st) % 10), idx = (uint16_t)(v.avail + 1 + (rnd(&st) % 40 == 0) * 30);
        phys_write(v.p, Q_AVAIL + 4 + 2ULL * (v.avail % QN), &head, 2);
        phys_write(v.p, Q_AVAIL + 2, &idx, 2);
        v.avail = idx;
        wreg(&v, 0x050, 0);
        if (rreg(&v, 0x070) & VIRTIO_ST_NEEDS_RESET) {        /* start over */
            resets++;
            vio_free(&v);
            vio_setup(&v);
            memcpy(before, vblk_image(v.b), sizeof before);
            continue;
        }
        if (memcmp(before, vblk_image(v.b), sizeof before) != 0) {
            writes_ok++;                 /* only a well-formed OUT may do this */
            ck_assert_uint_eq(h.type, 1);
            memcpy(before, vblk_image(v.b), sizeof before);
        }
    }
    /* the loop really exercised broken rings and image writes */
    ck_assert_int_gt(resets, 0);
    ck_assert_int_gt(writes_ok + resets, resets);
    vio_free(&v);
}
END_TEST

/* -------------------------------------------------------------- shadow */

#define S_GSIZE (1ULL << 20)
#define S_POOL (G_BASE + S_GSIZE)
#define S_POOLSZ (64ULL << 10)
#define V (1ULL << 0)
#define R (1ULL << 1)
#define W (1ULL << 2)
#define X (1ULL << 3)
#define U (1ULL << 4)
#define AD (3ULL << 6)
#define PTE(pa, fl) ((((pa) >> 12) << 10) | (fl))

static void set_pte(struct phys *p, uint64_t table, int idx, uint64_t pte)
{
    ck_assert_int_eq(phys_write(p, table + 8ULL * (uint64_t)idx, &pte, 8), 0);
}

/* Guest table: root 0x80000000 -> L1 0x80001000 -> L0 0x80002000 for
 * va 0..2 MiB; entry k of L0 maps va k*4K. */
START_TEST(shadow_confines_guest)
{
    struct phys *a = phys_new(G_BASE, S_GSIZE + S_POOLSZ), *b = phys_new(G_BASE, S_GSIZE);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    struct cpu *c = cpu_new(a, 0);
    struct shadow *s = shadow_new(a, c, G_BASE, S_GSIZE, S_POOL, S_POOLSZ);
    ck_assert_ptr_nonnull(s);
    /* the pool must not overlap the guest window */
    ck_assert_ptr_null(shadow_new(a, c, G_BASE, S_GSIZE, S_POOL - 4096, S_POOLSZ));
    uint64_t gsatp = (8ULL << 60) | (G_BASE >> 12), root = G_BASE, l1 = G_BASE + 0x1000,
             l0 = G_BASE + 0x2000;
    set_pte(a, root, 0, PTE(l1, V));
    set_pte(a, l1, 0, PTE(l0, V));
    set_pte(a, l0, 1, PTE(S_POOL, V | R | W | U | AD));           /* the shadow root! */
    set_pte(a, l0, 2, PTE(S_POOL + S_POOLSZ, V | R | W | U | AD)); /* beyond the phys */
    set_pte(a, l0, 3, PTE(G_BASE + 0x5000, V | R | W | U | AD));   /* fine */
    set_pte(a, l0, 4, PTE(l0, V | R | W | AD));                    /* kernel view of L0 */
    set_pte(a, l0, 5, PTE(G_BASE + 0x6000, V | R | X));            /* kernel text, A clear */
    set_pte(a, root, 1, PTE(0x10000000ULL, V));                    /* table outside RAM */
    uint64_t pte, v;
    static const int user_views[] = {SHADOW_CTX_U, SHADOW_CTX_SSUM};
    for (int k = 0; k < 2; k++) {
        int ctx = user_views[k];
        ck_assert_int_eq(shadow_fault(s, gsatp, ctx, 0x1000, CPU_ACC_LOAD, 0), SHADOW_GUEST_ACCESS_FAULT);
        ck_assert_int_eq(shadow_fault(s, gsatp, ctx, 0x2000, CPU_ACC_STORE, 0), SHADOW_GUEST_ACCESS_FAULT);
        ck_assert_int_eq(shadow_lookup(s, ctx, 0x1000, &pte), -ENOENT);
        ck_assert_int_eq(shadow_lookup(s, ctx, 0x2000, &pte), -ENOENT);
    }
    ck_assert_int_eq(shadow_fault(s, gsatp, SHADOW_CTX_S, 0x40000000, CPU_ACC_LOAD, 0),
                     SHADOW_GUEST_ACCESS_FAULT);
    ck_assert_int_eq(shadow_fault(s, gsatp, SHADOW_CTX_U, 0x7000, CPU_ACC_LOAD, 0),
                     SHADOW_GUEST_PAGE_FAULT);                      /* not mapped */
    /* a user page: user context yes, kernel only with SUM, never executable */
    ck_assert_int_eq(shadow_fault(s, gsatp, SHADOW_CTX_U, 0x3000, CPU_ACC_STORE, 0), SHADOW_FILLED);
    ck_assert_int_eq(shadow_lookup(s, SHADOW_CTX_U, 0x3000, &pte), 0);
    ck_assert_uint_eq(pte, PTE(G_BASE + 0x5000, V | R | W | U | AD));
    ck_assert_int_eq(shadow_fault(s, gsatp, SHADOW_CTX_S, 0x3000, CPU_ACC_LOAD, 0), SHADOW_GUEST_PAGE_FAULT);
    ck_assert_int_eq(shadow_fault(s, gsatp, SHADOW_CTX_SSUM, 0x3000, CPU_ACC_FETCH, 0), SHADOW_GUEST_PAGE_FAULT);
    ck_assert_int_eq(shadow_fault(s, gsatp, SHADOW_CTX_SSUM, 0x3000, CPU_ACC_LOAD, 0), SHADOW_FILLED);
    /* a kernel page: invisible to the user context; A gets set in the guest */
    ck_assert_int_eq(shadow_fault(s, gsatp, SHADOW_CTX_U, 0x5000, CPU_ACC_FETCH, 0), SHADOW_GUEST_PAGE_FAULT);
    ck_assert_int_eq(shadow_fault(s, gsatp, SHADOW_CTX_S, 0x5000, CPU_ACC_FETCH, 0), SHADOW_FILLED);
    phys_read(a, l0 + 8 * 5, &v, 8);
    ck_assert_uint_eq(v, PTE(G_BASE + 0x6000, V | R | X | (1ULL << 6)));
    ck_assert_int_eq(shadow_lookup(s, SHADOW_CTX_S, 0x5000, &pte), 0);
    ck_assert_uint_eq(pte, PTE(G_BASE + 0x6000, V | R | X | U | AD));
    /* the guest's own page table is write-protected: a store is emulated */
    ck_assert_int_eq(shadow_fault(s, gsatp, SHADOW_CTX_S, 0x4000, CPU_ACC_LOAD, 0), SHADOW_FILLED);
    ck_assert_int_eq(shadow_lookup(s, SHADOW_CTX_S, 0x4000, &pte), 0);
    ck_assert_uint_eq(pte & W, 0);
    ck_assert_int_eq(shadow_fault(s, gsatp, SHADOW_CTX_S, 0x4000, CPU_ACC_STORE, 0), SHADOW_EMULATE);
    ck_assert_int_eq(shadow_check(s), 0);
    /* through the hardware: the user page reads A's memory, never B's */
    uint64_t mine = 0x1111, other = 0x2222;
    phys_write(a, G_BASE + 0x5000, &mine, 8);
    phys_write(b, G_BASE + 0x5000, &other, 8);
    cpu_set_priv(c, CPU_PRIV_U);
    cpu_csr_set(c, 0x180, shadow_satp(s, SHADOW_CTX_U));
    ck_assert_int_eq(cpu_read_virt(c, 0x3000, &v, 8), 0);
    ck_assert_uint_eq(v, mine);
    ck_assert_int_ne(cpu_read_virt(c, 0x1000, &v, 8), 0);   /* the pool stays unmapped */
    shadow_flush(s);
    ck_assert_int_eq(shadow_lookup(s, SHADOW_CTX_U, 0x3000, &pte), -ENOENT);
    ck_assert_int_ne(cpu_read_virt(c, 0x3000, &v, 8), 0);
    shadow_free(s);
    cpu_free(c);
    phys_free(a);
    phys_free(b);
}
END_TEST

/* Regression: va 0x6000 maps the guest's L0 table T for va 0x200000 RW.
 * Filling 0x6000 maps T writable; walking 0x200000 then finds T and must
 * drop that mapping, and the refill of 0x6000 must not make T writable
 * again (it once did, and an instruction fetching at one and loading from
 * the other flushed and refilled forever). Also checks fill groups. */
START_TEST(shadow_progress_and_prefill)
{
    struct phys *a = phys_new(G_BASE, S_GSIZE + S_POOLSZ);
    struct cpu *c = cpu_new(a, 0);
    struct shadow *s = shadow_new(a, c, G_BASE, S_GSIZE, S_POOL, S_POOLSZ);
    ck_assert_ptr_nonnull(s);
    uint64_t gsatp = (8ULL << 60) | (G_BASE >> 12), root = G_BASE, l1 = G_BASE + 0x1000,
             l0 = G_BASE + 0x2000, t = G_BASE + 0x3000, pte;
    set_pte(a, root, 0, PTE(l1, V));
    set_pte(a, l1, 0, PTE(l0, V));
    set_pte(a, l1, 1, PTE(t, V));                                  /* va 2..4 MiB */
    set_pte(a, l0, 6, PTE(t, V | R | W | X | AD));                 /* T, writable */
    set_pte(a, t, 0, PTE(G_BASE + 0x8000, V | R | AD));            /* va 0x200000 */
    ck_assert_int_eq(shadow_fault(s, gsatp, SHADOW_CTX_S, 0x6000, CPU_ACC_FETCH, 0), SHADOW_FILLED);
    ck_assert_int_eq(shadow_lookup(s, SHADOW_CTX_S, 0x6000, &pte), 0);
    ck_assert_uint_eq(pte & W, W);
    ck_assert_int_eq(shadow_fault(s, gsatp, SHADOW_CTX_S, 0x200000, CPU_ACC_LOAD, 0), SHADOW_FILLED);
    ck_assert_int_eq(shadow_lookup(s, SHADOW_CTX_S, 0x6000, &pte), -ENOENT);   /* dropped */
    ck_assert_int_eq(shadow_fault(s, gsatp, SHADOW_CTX_S, 0x6000, CPU_ACC_FETCH, 0), SHADOW_FILLED);
    ck_assert_int_eq(shadow_lookup(s, SHADOW_CTX_S, 0x6000, &pte), 0);
    ck_assert_uint_eq(pte & (W | X), X);                           /* now protected */
    ck_assert_int_eq(shadow_fault(s, gsatp, SHADOW_CTX_S, 0x200000, CPU_ACC_LOAD, 0), SHADOW_FILLED);
    ck_assert_int_eq(shadow_lookup(s, SHADOW_CTX_S, 0x200000, &pte), 0);
    ck_assert_int_eq(shadow_lookup(s, SHADOW_CTX_S, 0x6000, &pte), 0);  /* both stay */
    ck_assert_int_eq(shadow_check(s), 0);
    /* fill groups of 4: a fault at 0x9000 also maps 0x8000 and 0xa000 (A
     * set) but not 0xb000 (A clear: a peek never sets A) */
    shadow_flush(s);
    ck_assert_int_eq(shadow_set_prefill(s, 3), -EINVAL);
    ck_assert_int_eq(shadow_set_prefill(s, 4), 0);
    set_pte(a, l0, 8, PTE(G_BASE + 0x10000, V | R | AD));
    set_pte(a, l0, 9, PTE(G_BASE + 0x11000, V | R | AD));
    set_pte(a, l0, 10, PTE(G_BASE + 0x12000, V | R | W | (1ULL << 6)));   /* A, not D */
    set_pte(a, l0, 11, PTE(G_BASE + 0x13000, V | R));
    ck_assert_int_eq(shadow_fault(s, gsatp, SHADOW_CTX_S, 0x9000, CPU_ACC_LOAD, 0), SHADOW_FILLED);
    ck_assert_int_eq(shadow_lookup(s, SHADOW_CTX_S, 0x8000, &pte), 0);
    ck_assert_int_eq(shadow_lookup(s, SHADOW_CTX_S, 0xa000, &pte), 0);
    ck_assert_uint_eq(pte & W, 0);                                 /* not dirty yet */
    ck_assert_int_eq(shadow_lookup(s, SHADOW_CTX_S, 0xb000, &pte), -ENOENT);
    uint64_t g;
    phys_read(a, l0 + 8 * 11, &g, 8);
    ck_assert_uint_eq(g, PTE(G_BASE + 0x13000, V | R));            /* untouched */
    ck_assert_uint_eq(shadow_stats(s)->prefills, 2);
    ck_assert_int_eq(shadow_check(s), 0);
    shadow_free(s);
    cpu_free(c);
    phys_free(a);
}
END_TEST

static int dummy_read(void *o, uint64_t off, int size, uint64_t *val) { *val = 0; return 0; }
static int dummy_write(void *o, uint64_t off, int size, uint64_t val) { return 0; }

/* Random guest tables (pointers into guest RAM, the shadow pool, a device,
 * nowhere; random flags) and random faults in every context: the shadow
 * invariants hold after every step, so no leaf ever maps anything but this
 * guest's RAM or its device. */
START_TEST(shadow_random_tables)
{
    static const struct phys_mmio_ops dummy = {dummy_read, dummy_write};
    struct phys *a = phys_new(G_BASE, S_GSIZE + S_POOLSZ);
    struct cpu *c = cpu_new(a, 0);
    ck_assert_int_eq(phys_mmio_add(a, 0x10001000, 0x1000, &dummy, NULL), 0);
    struct shadow *s = shadow_new(a, c, G_BASE, S_GSIZE, S_POOL, S_POOLSZ);
    ck_assert_ptr_nonnull(s);
    shadow_set_prefill(s, 8);
    uint64_t st = 12345, gsatp = (8ULL << 60) | (G_BASE >> 12);
    static const uint64_t targets[] = {G_BASE, G_BASE + 0x1000, G_BASE + 0x2000, G_BASE + 0x3000,
                                       G_BASE + 0x40000, S_POOL, S_POOL + 0x3000, 0x10001000,
                                       0x10002000, 0, G_BASE + S_GSIZE + S_POOLSZ};
    int n = test_quick() ? 2000 : 10000, filled = 0, faults = 0;
    for (int i = 0; i < n; i++) {
        if (i % 100 == 0) {               /* new random tables in frames 0..3 */
            for (int k = 0; k < 4 * 512; k++) {
                uint64_t r = rnd(&st), t = targets[r % 11], fl = (r >> 8) & 0xff;
                if (k < 2 * 512 && r % 4 != 0)        /* root, L1: mostly pointers */
                    t = G_BASE + 0x1000 * (1 + (r >> 20) % 3), fl = V;
                else if (r % 4 != 0)                   /* L0: mostly valid, accessed */
                    fl |= V | (1ULL << 6);
                uint64_t pte = ((k % 512) < 8 || r % 3 == 0) ? PTE(t, fl) : 0;
                set_pte(a, G_BASE + 8ULL * (uint64_t)k, 0, pte);
            }
            shadow_flush(s);
        }
        uint64_t r = rnd(&st);
        uint64_t va = ((r & 3) << 30) | (((r >> 2) & 3) << 21) | (((r >> 4) & 15) << 12);
        int rc = shadow_fault(s, gsatp, (int)((r >> 8) % 3), va, (int)((r >> 10) % 3), (r >> 12) & 1);
        filled += rc == SHADOW_FILLED;
        faults += rc == SHADOW_GUEST_PAGE_FAULT || rc == SHADOW_GUEST_ACCESS_FAULT;
        ck_assert_int_eq(shadow_check(s), 0);
        uint64_t gpa;
        rc = shadow_translate(s, gsatp, (int)((r >> 14) % 3), va, CPU_ACC_LOAD, &gpa);
        if (rc == 0)
            ck_assert(gpa - G_BASE < S_GSIZE || gpa - 0x10001000 < 0x1000);
    }
    ck_assert_int_gt(filled, n / 100);      /* both outcomes were exercised */
    ck_assert_int_gt(faults, n / 100);
    shadow_free(s);
    cpu_free(c);
    phys_free(a);
}
END_TEST

/* ------------------------------------------------- trap-and-emulate core */

#define T_GSIZE (16ULL << 20)
#define CSRRW(rd, csr, rs1) (((uint32_t)(csr) << 20) | ((rs1) << 15) | (1u << 12) | ((rd) << 7) | 0x73u)
#define CSRRS(rd, csr, rs1) (((uint32_t)(csr) << 20) | ((rs1) << 15) | (2u << 12) | ((rd) << 7) | 0x73u)

/* A VM shell (no kernel, no devices) in trap or PV mode. */
static void shell_vm(struct vm *vm, enum vm_mode mode)
{
    memset(vm, 0, sizeof *vm);
    vm->mode = mode;
    vm->guest_base = VM_RAM_BASE;
    vm->guest_size = T_GSIZE;
    vm->timer_deadline = ~0ULL;
    vm->shadow_prefill = 1;
    vm->phys = phys_new(VM_RAM_BASE, T_GSIZE + VM_SHADOW_POOL);
    ck_assert_ptr_nonnull(vm->phys);
    vm->cpu = cpu_new(vm->phys, 0);
    ck_assert_ptr_nonnull(vm->cpu);
    ck_assert_int_eq(trap_init(vm), 0);
}

static void shell_free(struct vm *vm)
{
    trap_free(vm);
    cpu_free(vm->cpu);
    phys_free(vm->phys);
}

static void fake_trap(struct vm *vm, uint64_t pc, uint64_t cause, uint64_t tval)
{
    struct cpu_exit e;
    memset(&e, 0, sizeof e);
    e.reason = CPU_EXIT_TRAP;
    e.pc = pc;
    e.cause = cause;
    e.tval = tval;
    trap_exit(vm, &e);
}

START_TEST(trap_emulation)
{
    struct vm vm;
    shell_vm(&vm, VM_MODE_TRAP);
    struct vm_trap *t = vm.trap;
    struct cpu *c = vm.cpu;
    uint64_t hsatp;
    /* virtual S: csrrw a0, sscratch, a1 swaps and moves pc on */
    t->sscratch = 0x1234;
    c->x[11] = 0x5678;
    fake_trap(&vm, 0x80200000, CPU_EXC_ILLEGAL, CSRRW(10, 0x140, 11));
    ck_assert_uint_eq(c->x[10], 0x1234);
    ck_assert_uint_eq(t->sscratch, 0x5678);
    ck_assert_uint_eq(c->pc, 0x80200004);
    /* csrrs a0, sstatus, a1 with a1 = SIE|SUM: kernel tree with SUM */
    c->x[11] = (1ULL << 1) | (1ULL << 18);
    fake_trap(&vm, 0x80200004, CPU_EXC_ILLEGAL, CSRRS(10, 0x100, 11));
    ck_assert_uint_eq(c->x[10], 2ULL << 32);                 /* UXL only */
    cpu_csr_get(c, 0x180, &hsatp);
    ck_assert_uint_eq(hsatp, shadow_satp(vm.shadow, SHADOW_CTX_SSUM));
    /* an M-mode CSR from virtual S is reflected as illegal */
    t->stvec = 0x80300000;
    fake_trap(&vm, 0x80200008, CPU_EXC_ILLEGAL, CSRRS(10, 0x300, 0));
    ck_assert_uint_eq(t->scause, CPU_EXC_ILLEGAL);
    ck_assert_uint_eq(t->stval, CSRRS(10, 0x300, 0));
    ck_assert_uint_eq(t->sepc, 0x80200008);
    ck_assert_uint_eq(t->sstatus & ((1ULL << 8) | (1ULL << 5) | 2), (1ULL << 8) | (1ULL << 5));
    ck_assert_uint_eq(c->pc, 0x80300000);
    /* sret to virtual U (SPP cleared by hand): SIE back from SPIE */
    t->sstatus &= ~(1ULL << 8);
    t->sepc = 0x10000;
    fake_trap(&vm, 0x80300010, CPU_EXC_ILLEGAL, 0x10200073);
    ck_assert_int_eq(t->priv, CPU_PRIV_U);
    ck_assert_uint_eq(c->pc, 0x10000);
    ck_assert_uint_eq(t->sstatus & 2, 2);
    cpu_csr_get(c, 0x180, &hsatp);
    ck_assert_uint_eq(hsatp, shadow_satp(vm.shadow, SHADOW_CTX_U));
    /* from virtual U: a CSR access and sret are illegal, ecall goes to the
     * guest (not to SBI) */
    fake_trap(&vm, 0x10004, CPU_EXC_ILLEGAL, CSRRW(10, 0x140, 11));
    ck_assert_int_eq(t->priv, CPU_PRIV_S);
    ck_assert_uint_eq(t->scause, CPU_EXC_ILLEGAL);
    ck_assert_uint_eq(t->sepc, 0x10004);
    ck_assert_uint_eq(t->sstatus & (1ULL << 8), 0);          /* SPP = U */
    ck_assert_uint_eq(t->sstatus & ((1ULL << 5) | 2), 1ULL << 5);
    t->priv = CPU_PRIV_U;
    fake_trap(&vm, 0x10008, CPU_EXC_ECALL_U, 0);
    ck_assert_uint_eq(t->scause, CPU_EXC_ECALL_U);
    ck_assert_uint_eq(vm.stats.exits[VM_X_SBI], 0);
    /* the timer: pending + enabled in virtual U is delivered at once */
    t->priv = CPU_PRIV_U;
    t->sie = 1ULL << 5;
    trap_set_stip(&vm, 1);
    c->pc = 0x10020;
    trap_inject(&vm);
    ck_assert_uint_eq(t->scause, CPU_CAUSE_IRQ | 5);
    ck_assert_uint_eq(t->sepc, 0x10020);
    ck_assert_int_eq(t->priv, CPU_PRIV_S);
    /* in virtual S with SIE clear it waits */
    t->sepc = 0;
    trap_inject(&vm);
    ck_assert_uint_eq(t->sepc, 0);
    /* fault addresses of lw a0,-4(a1) / sd a2,-8(a1) / amoadd.d a0,a2,(a1) */
    c->x[11] = 0x1000;
    ck_assert_uint_eq(vm_insn_addr(c, 0xffc5a503u), 0xffc);
    ck_assert_uint_eq(vm_insn_addr(c, 0xfec5bc23u), 0xff8);
    ck_assert_uint_eq(vm_insn_addr(c, 0x00c5b52fu), 0x1000);
    ck_assert_uint_eq(vm_insn_addr(c, 0x7ff5a503u), 0x1000 + 2047);
    /* time reads in virtual S give virtual time */
    fake_trap(&vm, 0x80200100, CPU_EXC_ILLEGAL, CSRRS(10, 0xc01, 0));
    ck_assert_uint_eq(c->x[10], vm_time(&vm) - 1);           /* before its own tick */
    shell_free(&vm);
}
END_TEST

/* A guest whose trap vector is not mapped faults forever without retiring
 * anything: vm_run still returns after its budget of virtual time. */
START_TEST(trap_loop_bounded)
{
    struct vm vm;
    shell_vm(&vm, VM_MODE_TRAP);
    vm.trap->stvec = 0x40000000;      /* no RAM, no device there */
    vm.cpu->pc = 0x40000000;
    uint64_t t0 = vm_time(&vm);
    ck_assert_int_eq(vm_run(&vm, 1000), VM_RUNNING);
    ck_assert_uint_ge(vm_time(&vm), t0 + 1000);
    ck_assert_uint_eq(vm.cpu->icount, 0);
    ck_assert_uint_eq(vm.trap->scause, CPU_EXC_FETCH_ACCESS);
    ck_assert_uint_eq(vm.trap->stval, 0x40000000);
    ck_assert_uint_ge(vm.stats.exits[VM_X_GUEST_PF], 1000);
    shell_free(&vm);
}
END_TEST

START_TEST(pv_log_validation)
{
    struct vm vm;
    shell_vm(&vm, VM_MODE_PV);
    uint64_t log = VM_RAM_BASE + 0x4000, end = VM_RAM_BASE + T_GSIZE;
    ck_assert_int_eq(trap_pv_call(&vm, 0, log, 0), SBI_ERR_INVALID_PARAM);
    ck_assert_int_eq(trap_pv_call(&vm, 0, end - 16, 4), SBI_ERR_INVALID_ADDRESS);
    ck_assert_int_eq(trap_pv_call(&vm, 0, end + VM_SHADOW_POOL / 2, 4), SBI_ERR_INVALID_ADDRESS);
    ck_assert_int_eq(trap_pv_call(&vm, 0, log + 4, 4), SBI_ERR_INVALID_ADDRESS);
    ck_assert_int_eq(trap_pv_call(&vm, 7, 0, 0), SBI_ERR_NOT_SUPPORTED);
    ck_assert_int_eq(trap_pv_call(&vm, 0, log, 4), SBI_SUCCESS);
    /* four updates: good leaf, leaf into the shadow pool, PTE outside RAM,
     * non-leaf (table pointers are checked when walked) */
    uint64_t e[9] = {4,
                     VM_RAM_BASE + 0x8000, PTE(VM_RAM_BASE + 0x9000, V | R | W),
                     VM_RAM_BASE + 0x8008, PTE(end, V | R),
                     end + 8, PTE(VM_RAM_BASE, V | R),
                     VM_RAM_BASE + 0x8010, PTE(0x123456789000ULL, V)};
    phys_write(vm.phys, log, e, sizeof e);
    ck_assert_int_eq(trap_pv_call(&vm, 1, 0, 0), SBI_ERR_INVALID_ADDRESS);
    ck_assert_uint_eq(vm.trap->n_pv_ptes, 2);
    ck_assert_uint_eq(vm.trap->n_pv_rejected, 2);
    uint64_t n;
    phys_read(vm.phys, log, &n, 8);
    ck_assert_uint_eq(n, 0);                                  /* drained */
    /* a corrupt count is one rejection, nothing applied */
    n = 1000;
    phys_write(vm.phys, log, &n, 8);
    ck_assert_uint_eq(trap_pv_drain(&vm), 1);
    ck_assert_uint_eq(vm.trap->n_pv_ptes, 2);
    /* the platform only offers the extension in PV mode */
    struct sbi_platform p;
    vm_sbi_platform(&vm, &p);
    ck_assert_ptr_nonnull(p.pv);
    vm.mode = VM_MODE_TRAP;
    vm_sbi_platform(&vm, &p);
    ck_assert_ptr_null(p.pv);
    shell_free(&vm);
}
END_TEST

START_TEST(pv_golden)
{
    const char *k = "build/guest/kernel-pv.elf";
    if (access(k, R_OK) != 0)
        return;          /* built by `make -C guest PV=1`, not by default */
    struct tmpdisk d;
    struct capture cap;
    memset(&cap, 0, sizeof cap);
    make_disk(&d);
    char err[256];
    struct vm_config cfg = {.mode = VM_MODE_PV, .mem = VM_MEM_DEFAULT, .kernel = k,
                            .disk = d.path, .console = capture_fn, .console_opaque = &cap};
    struct vm *vm = vm_new(&cfg, err, sizeof err);
    ck_assert_msg(vm != NULL, "%s", err);
    run_vms(&vm, 1);
    ck_assert_int_eq(vm->state, VM_OFF_OK);
    assert_golden(cap.buf[0]);
    uint64_t con_bytes, con_ok, con_bad;
    vcon_counts(vm->con, &con_bytes, &con_ok, &con_bad);
    ck_assert_uint_eq(con_bytes, strlen(cap.buf[0]));   /* all through virtio */
    ck_assert_uint_eq(con_bad, 0);
    /* every page-table write was logged, none trapped; the one rejected
     * entry is the kernel's alias of 0x10000000, where no device lives */
    ck_assert_uint_eq(vm->stats.exits[VM_X_PT_WRITE], 0);
    ck_assert_uint_gt(vm->trap->n_pv_ptes, 32768);           /* at least the RAM map */
    ck_assert_uint_eq(vm->trap->n_pv_rejected, 1);
    ck_assert_int_eq(shadow_check(vm->shadow), 0);
    vm_free(vm);
    free(cap.buf[0]);
    drop_disk(&d);
}
END_TEST

/* ------------------------------------------------------- a tiny guest */

/* Write a one-segment RV64 ELF at path whose code (at 0x80200000) sets
 * stvec to 0x80200014, loads from 0x10000000 (no device) and waits. */
static void write_tiny_elf(const char *path)
{
    static const uint32_t code[] = {
        0x100005b7u,   /* lui   a1, 0x10000       a1 = 0x10000000 */
        0x00000297u,   /* auipc t0, 0             t0 = 0x80200004 */
        0x01028293u,   /* addi  t0, t0, 16 */
        0x10529073u,   /* csrw  stvec, t0 */
        0x0005a503u,   /* lw    a0, 0(a1)         access fault */
        0x10500073u,   /* wfi                     (the handler) */
    };
    guest_write_elf(path, code, sizeof code);
}

/* Both modes: the load from an address with no device is a load access
 * fault delivered to the guest's stvec, and wfi with no timer halts. */
START_TEST(tiny_guest_access_fault)
{
    char dir[] = "/tmp/vmmsim-tiny-XXXXXX", path[64], err[256];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/tiny.elf", dir);
    write_tiny_elf(path);
    for (int m = 0; m < 2; m++) {
        struct vm_config cfg = {.mode = m ? VM_MODE_TRAP : VM_MODE_INTERPRET,
                                .mem = 8ULL << 20, .kernel = path};
        struct vm *vm = vm_new(&cfg, err, sizeof err);
        ck_assert_msg(vm != NULL, "%s", err);
        ck_assert_int_eq(vm_run(vm, 10000), VM_HALTED);
        uint64_t scause, stval, sepc;
        if (m) {
            scause = vm->trap->scause;
            stval = vm->trap->stval;
            sepc = vm->trap->sepc;
        } else {
            cpu_csr_get(vm->cpu, 0x142, &scause);
            cpu_csr_get(vm->cpu, 0x143, &stval);
            cpu_csr_get(vm->cpu, 0x141, &sepc);
        }
        ck_assert_uint_eq(scause, CPU_EXC_LOAD_ACCESS);
        ck_assert_uint_eq(stval, 0x10000000);
        ck_assert_uint_eq(sepc, 0x80200010);
        ck_assert_uint_eq(vm->cpu->pc, 0x80200018);          /* past the wfi */
        ck_assert_uint_eq(vm->stats.exits[m ? VM_X_GUEST_PF : VM_X_MMIO], 1);
        ck_assert_uint_eq(vm->stats.exits[VM_X_WFI], 1);
        ck_assert_str_eq(vm->msg, "wfi with no timer armed");
        vm_free(vm);
    }
    unlink(path);
    rmdir(dir);
}
END_TEST

/* ------------------------------------------------------------------ CLI */

START_TEST(cli_errors)
{
    char *bad_mode[] = {"vm", "run", "k.elf", "--mode", "fast", NULL};
    char *bad_flag[] = {"vm", "run", "k.elf", "--frobnicate", "1", NULL};
    char *bad_mem[] = {"vm", "run", "k.elf", "--mem", "12XB", NULL};
    char *bad_vms[] = {"vm", "run", "k.elf", "--vms", "0", NULL};
    char *no_elf[] = {"vm", "run", "/nonexistent/kernel.elf", NULL};
    char *no_disk[] = {"vm", "run", "/dev/null", "--disk", "/nonexistent/disk.img", NULL};
    char *not_elf[] = {"vm", "run", GOLDEN_PATH, NULL};
    ck_assert_int_eq(vmcli_main(5, bad_mode), 2);
    ck_assert_int_eq(vmcli_main(5, bad_flag), 2);
    ck_assert_int_eq(vmcli_main(5, bad_mem), 2);
    ck_assert_int_eq(vmcli_main(5, bad_vms), 2);
    ck_assert_int_eq(vmcli_main(3, no_elf), 2);
    ck_assert_int_eq(vmcli_main(5, no_disk), 2);
    ck_assert_int_eq(vmcli_main(3, not_elf), 2);
    char *help[] = {"vm", "run", "--help", NULL}, *bare[] = {"vm", NULL};
    ck_assert_int_eq(vmcli_main(3, help), 0);   /* help is not an error */
    ck_assert_int_eq(vmcli_main(1, bare), 2);
}
END_TEST

Suite *suite_vmm(void)
{
    Suite *s = suite_create("vmm");
    TCase *unit = tcase_create("unit");
    tcase_add_test(unit, sbi_errors);
    tcase_add_test(unit, virtio_good_and_malformed);
    tcase_add_test(unit, virtio_random_requests);
    tcase_add_test(unit, virtio_console_transmit);
    tcase_add_test(unit, shadow_confines_guest);
    tcase_add_test(unit, shadow_progress_and_prefill);
    tcase_add_test(unit, shadow_random_tables);
    tcase_add_test(unit, cli_errors);
    tcase_add_test(unit, trap_emulation);
    tcase_add_test(unit, pv_log_validation);
    tcase_add_test(unit, trap_loop_bounded);
    tcase_add_test(unit, tiny_guest_access_fault);
    suite_add_tcase(s, unit);
    TCase *boot = tcase_create("boot");
    tcase_set_timeout(boot, 300);
    tcase_add_test(boot, interpret_golden);
    tcase_add_test(boot, trap_golden);
    tcase_add_test(boot, two_vms_isolated);
    tcase_add_test(boot, pv_golden);
    suite_add_tcase(s, boot);
    return s;
}
