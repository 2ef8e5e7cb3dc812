/* SPDX-License-Identifier: MIT */
#ifndef HV_CRC32_H
#define HV_CRC32_H

#include <hv/types.h>

/*
 * CRC-32 as in IEEE 802.3, zlib and PNG (reflected polynomial 0xEDB88320,
 * initial value and final XOR 0xFFFFFFFF). Chainable exactly like
 * zlib.crc32(): crc32(crc32(0, a, n), b, m) is the CRC of a followed by b.
 */
uint32_t crc32(uint32_t crc, const void *buf, size_t len);

#endif /* HV_CRC32_H */
