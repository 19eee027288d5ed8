#define _XOPEN_SOURCE 700
/* outdir: temporary directory + rename, so results appear whole or not at all. */
#include "sim/outdir.h"

#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int outdir_mkdirs(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0777) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, 0777) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

int outdir_remove_tree(const char *path)
{
    return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
}

static void parent_of(const char *path, char *buf, size_t size)
{
    snprintf(buf, size, "%s", path);
    char *slash = strrchr(buf, '/');
    if (slash && slash != buf)
        *slash = 0;
    else if (slash)
        slash[1] = 0;
    else
        snprintf(buf, size, ".");
}

int outdir_begin(struct outdir *o, const char *dir, char *err, size_t errsize)
{
    char parent[PATH_MAX];
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (n + 16 >= sizeof o->final) {
        snprintf(err, errsize, "%s: path too long", dir);
        return -ENAMETOOLONG;
    }
    memcpy(o->final, dir, n);
    o->final[n] = 0;
    parent_of(o->final, parent, sizeof parent);
    int rc = outdir_mkdirs(parent);
    if (rc == 0 && snprintf(o->tmp, sizeof o->tmp, "%s.tmp-XXXXXX", o->final) >= (int)sizeof o->tmp)
        rc = -ENAMETOOLONG;
    if (rc < 0 || !mkdtemp(o->tmp)) {
        rc = rc < 0 ? rc : -errno;
        snprintf(err, errsize, "%s: cannot create results directory: %s", o->final, strerror(-rc));
        o->tmp[0] = 0;
        return rc;
    }
    return 0;
}

char *outdir_path(const struct outdir *o, const char *name, char *buf, size_t size)
{
    if (snprintf(buf, size, "%s/%s", o->tmp, name) >= (int)size)
        buf[0] = 0; /* too long: fopen("") fails cleanly */
    return buf;
}

FILE *outdir_open(const struct outdir *o, const char *name)
{
    char path[PATH_MAX + 64];
    return fopen(outdir_path(o, name, path, sizeof path), "w");
}

int outdir_commit(struct outdir *o, char *err, size_t errsize)
{
    char old[PATH_MAX + 32];
    struct stat st;
    old[0] = 0;
    if (stat(o->final, &st) == 0) {
        int n = snprintf(old, sizeof old, "%s.old-XXXXXX", o->final);
        if (n >= (int)sizeof old || !mkdtemp(old) || rename(o->final, old) < 0) {
            snprintf(err, errsize, "%s: cannot replace old results: %s", o->final, strerror(errno));
            return -errno;
        }
    }
    if (rename(o->tmp, o->final) < 0) {
        int e = errno;
        snprintf(err, errsize, "%s: cannot move results in place: %s", o->final, strerror(e));
        if (old[0])
            rename(old, o->final);
        return -e;
    }
    o->tmp[0] = 0;
    if (old[0])
        outdir_remove_tree(old);
    return 0;
}

void outdir_abort(struct outdir *o)
{
    if (o->tmp[0])
        outdir_remove_tree(o->tmp);
    o->tmp[0] = 0;
}
