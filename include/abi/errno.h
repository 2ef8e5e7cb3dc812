/* SPDX-License-Identifier: MIT */
/*
 * Error codes shared by the hypervisor, the IOVMs and the guests.
 *
 * Every interface that can fail (internal functions, and later hypercalls)
 * returns 0 or a positive value on success and one of these, negated, on
 * failure. The values follow the classic Unix numbering so that a reader
 * recognises them, but nothing depends on that.
 */
#ifndef ABI_ERRNO_H
#define ABI_ERRNO_H

#define HV_EPERM	1	/* operation not permitted to this VM */
#define HV_ENOENT	2	/* no such object (VM, channel, table, device) */
#define HV_EIO		5	/* device or firmware misbehaved */
#define HV_E2BIG	7	/* argument list or table too long */
#define HV_EAGAIN	11	/* nothing to do now: try again later (empty ring) */
#define HV_ENOMEM	12	/* out of memory */
#define HV_EFAULT	14	/* bad guest address */
#define HV_EBUSY	16	/* resource already in use */
#define HV_EEXIST	17	/* object already exists */
#define HV_ENODEV	19	/* no such device / feature absent */
#define HV_EINVAL	22	/* invalid argument */
#define HV_ENOSPC	28	/* no room left (full ring) */
#define HV_EPIPE	32	/* the other end is not running */
#define HV_ERANGE	34	/* value out of range */
#define HV_ENOSYS	38	/* unknown operation */
#define HV_EBADMSG	74	/* malformed structure (bad checksum, bad length) */
#define HV_EOVERFLOW	75	/* arithmetic overflow in an argument */
#define HV_ENOTSUP	95	/* known but not supported here */

#endif /* ABI_ERRNO_H */
