// SPDX-License-Identifier: MIT
/*
 * CRC-32 (IEEE), bit at a time and table-free: it only checks the policy,
 * a few hundred bytes once per boot, so 1 KiB of table buys nothing.
 */
#include <hv/crc32.h>

#define CRC32_POLY_REFLECTED	0xedb88320u

uint32_t crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (CRC32_POLY_REFLECTED & (0u - (crc & 1)));
	}
	return ~crc;
}
