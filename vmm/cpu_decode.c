/* cpu_decode: RV64IMA + Zicsr + Zifencei + privileged instruction decoder.
 *
 * Turns a 32-bit encoding into a struct cpu_insn: the operation, registers
 * (rd 0 mapped to the write sink 32 so handlers never test for x0) and the
 * sign-extended immediate. Invariant: every encoding decodes to something;
 * anything not implemented or reserved becomes OP_ILLEGAL, which traps when
 * executed (so fetching garbage is harmless until it runs).
 */
#include "vmm/cpu_internal.h"

#define BITS(x, hi, lo) (((x) >> (lo)) & ((1u << ((hi) - (lo) + 1)) - 1))

static int32_t imm_i(uint32_t r) { return (int32_t)r >> 20; }
static int32_t imm_s(uint32_t r) { return (int32_t)(((int32_t)r >> 25) * 32 + (int32_t)BITS(r, 11, 7)); }
static int32_t imm_u(uint32_t r) { return (int32_t)(r & 0xfffff000u); }

static int32_t imm_b(uint32_t r)
{
    uint32_t v = (BITS(r, 11, 8) << 1) | (BITS(r, 30, 25) << 5) |
                 (BITS(r, 7, 7) << 11) | (BITS(r, 31, 31) << 12);
    return (int32_t)(v << 19) >> 19;
}

static int32_t imm_j(uint32_t r)
{
    uint32_t v = (BITS(r, 30, 21) << 1) | (BITS(r, 20, 20) << 11) |
                 (BITS(r, 19, 12) << 12) | (BITS(r, 31, 31) << 20);
    return (int32_t)(v << 11) >> 11;
}

static int dec_load(uint32_t f3)
{
    static const uint16_t ops[8] = {OP_LB, OP_LH, OP_LW, OP_LD, OP_LBU, OP_LHU, OP_LWU, OP_ILLEGAL};
    return ops[f3];
}

static int dec_opimm(uint32_t r, uint32_t f3)
{
    static const uint16_t ops[8] = {OP_ADDI, OP_SLLI, OP_SLTI, OP_SLTIU, OP_XORI, OP_SRLI, OP_ORI, OP_ANDI};
    uint32_t f6 = BITS(r, 31, 26);
    if (f3 == 1 && f6 != 0)
        return OP_ILLEGAL;
    if (f3 == 5)
        return f6 == 0 ? OP_SRLI : f6 == 0x10 ? OP_SRAI : OP_ILLEGAL;
    return ops[f3];
}

static int dec_opimm32(uint32_t r, uint32_t f3)
{
    uint32_t f7 = BITS(r, 31, 25);
    if (f3 == 0)
        return OP_ADDIW;
    if (f3 == 1)
        return f7 == 0 ? OP_SLLIW : OP_ILLEGAL;
    if (f3 == 5)
        return f7 == 0 ? OP_SRLIW : f7 == 0x20 ? OP_SRAIW : OP_ILLEGAL;
    return OP_ILLEGAL;
}

static int dec_op(uint32_t r, uint32_t f3)
{
    static const uint16_t base[8] = {OP_ADD, OP_SLL, OP_SLT, OP_SLTU, OP_XOR, OP_SRL, OP_OR, OP_AND};
    static const uint16_t mul[8] = {OP_MUL, OP_MULH, OP_MULHSU, OP_MULHU, OP_DIV, OP_DIVU, OP_REM, OP_REMU};
    uint32_t f7 = BITS(r, 31, 25);
    if (f7 == 0)
        return base[f3];
    if (f7 == 1)
        return mul[f3];
    if (f7 == 0x20)
        return f3 == 0 ? OP_SUB : f3 == 5 ? OP_SRA : OP_ILLEGAL;
    return OP_ILLEGAL;
}

static int dec_op32(uint32_t r, uint32_t f3)
{
    uint32_t f7 = BITS(r, 31, 25);
    if (f7 == 0)
        return f3 == 0 ? OP_ADDW : f3 == 1 ? OP_SLLW : f3 == 5 ? OP_SRLW : OP_ILLEGAL;
    if (f7 == 0x20)
        return f3 == 0 ? OP_SUBW : f3 == 5 ? OP_SRAW : OP_ILLEGAL;
    if (f7 == 1) {
        static const uint16_t mul[8] = {OP_MULW, OP_ILLEGAL, OP_ILLEGAL, OP_ILLEGAL,
                                        OP_DIVW, OP_DIVUW, OP_REMW, OP_REMUW};
        return mul[f3];
    }
    return OP_ILLEGAL;
}

static int dec_amo(uint32_t r, uint32_t f3, struct cpu_insn *d)
{
    uint32_t f5 = BITS(r, 31, 27);
    if (f3 != 2 && f3 != 3)
        return OP_ILLEGAL;
    switch (f5) {
    case 0x02:
        if (BITS(r, 24, 20) != 0)
            return OP_ILLEGAL;
        break;
    case 0x00: case 0x01: case 0x03: case 0x04: case 0x08: case 0x0c:
    case 0x10: case 0x14: case 0x18: case 0x1c:
        break;
    default:
        return OP_ILLEGAL;
    }
    d->aux = (uint8_t)f3;
    d->imm = (int32_t)f5;
    return OP_AMO;
}

static int dec_system(uint32_t r, uint32_t f3, struct cpu_insn *d)
{
    if (f3 == 4)
        return OP_ILLEGAL;
    if (f3 != 0) {
        d->aux = (uint8_t)f3;
        d->imm = (int32_t)BITS(r, 31, 20);
        return OP_CSR;
    }
    switch (r) {
    case 0x00000073: return OP_ECALL;
    case 0x00100073: return OP_EBREAK;
    case 0x10200073: return OP_SRET;
    case 0x30200073: return OP_MRET;
    case 0x10500073: return OP_WFI;
    }
    if (BITS(r, 31, 25) == 0x09 && BITS(r, 11, 7) == 0)
        return OP_SFENCE_VMA;
    return OP_ILLEGAL;
}

static int dec_major(uint32_t r, struct cpu_insn *d)
{
    uint32_t f3 = BITS(r, 14, 12);
    switch (r & 0x7f) {
    case 0x03: d->imm = imm_i(r); return dec_load(f3);
    case 0x0f: return f3 == 0 ? OP_NOP : f3 == 1 ? OP_FENCE_I : OP_ILLEGAL;
    case 0x13: d->imm = imm_i(r); return dec_opimm(r, f3);
    case 0x17: d->imm = imm_u(r); return OP_AUIPC;
    case 0x1b: d->imm = imm_i(r); return dec_opimm32(r, f3);
    case 0x23: d->imm = imm_s(r); return f3 < 4 ? OP_SB + (int)f3 : OP_ILLEGAL;
    case 0x2f: return dec_amo(r, f3, d);
    case 0x33: return dec_op(r, f3);
    case 0x37: d->imm = imm_u(r); return OP_LUI;
    case 0x3b: return dec_op32(r, f3);
    case 0x63: d->imm = imm_b(r);
        return f3 == 2 || f3 == 3 ? OP_ILLEGAL : OP_BEQ + (int)(f3 < 2 ? f3 : f3 - 2);
    case 0x67: d->imm = imm_i(r); return f3 == 0 ? OP_JALR : OP_ILLEGAL;
    case 0x6f: d->imm = imm_j(r); return OP_JAL;
    case 0x73: return dec_system(r, f3, d);
    }
    return OP_ILLEGAL;
}

int cpu_decode(uint32_t raw, struct cpu_insn *d)
{
    *d = (struct cpu_insn){0};
    d->raw = raw;
    d->rd = (uint8_t)BITS(raw, 11, 7);
    if (d->rd == 0)
        d->rd = 32;
    d->rs1 = (uint8_t)BITS(raw, 19, 15);
    d->rs2 = (uint8_t)BITS(raw, 24, 20);
    int op = (raw & 3) == 3 ? dec_major(raw, d) : OP_ILLEGAL;
    d->op = (uint16_t)op;
    switch (op) {
    case OP_JAL: case OP_JALR: case OP_BEQ: case OP_BNE: case OP_BLT:
    case OP_BGE: case OP_BLTU: case OP_BGEU: case OP_FENCE_I: case OP_CSR:
    case OP_ECALL: case OP_EBREAK: case OP_MRET: case OP_SRET: case OP_WFI:
    case OP_SFENCE_VMA: case OP_ILLEGAL:
        return 1;
    }
    return 0;
}
