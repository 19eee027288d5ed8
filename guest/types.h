/* types.h: fixed-width integer names used throughout the guest kernel. */
#ifndef GUEST_TYPES_H
#define GUEST_TYPES_H

typedef unsigned char uint8;
typedef unsigned short uint16;
typedef unsigned int uint32;
typedef unsigned long uint64;
typedef long int64;

#define NULL ((void *)0)

#endif
