// SPDX-License-Identifier: MIT
/*
 * hypervisor/msi.c: which messages an owner may write, and the MSI
 * capability and MSI-X entries as the owner sees them (its shadow): only
 * the writable bits of the shadowed fields change, reads merge the shadow
 * with the device's own bits.
 */
#include <abi/hypercall.h>
#include <hv/msi.h>
#include "unit.h"

static const char *check(uint32_t lo, uint32_t hi, uint32_t data, uint8_t *vector)
{
	struct msi_message m = { lo, hi, data };

	return msi_message_check(&m, vector);
}

TEST(deliverable_messages_give_their_vector)
{
	uint8_t v = 0;

	CHECK(check(0xfee00000, 0, 0x60, &v) == NULL && v == 0x60);
	CHECK(check(0xfee0f00c, 0, 0x7f, &v) == NULL && v == 0x7f);		/* destination, RH, DM ignored */
	CHECK(check(0xfeeff000, 0, 0x0161, &v) == NULL && v == 0x61);		/* lowest priority */
	CHECK(check(0xfee00000, 0, 0xabcd0062, &v) == NULL && v == 0x62);	/* MSI-X data 31:16 ignored */
}

TEST(undeliverable_messages_are_refused_with_a_reason)
{
	uint8_t v = 0xaa;

	CHECK(check(0, 0, 0x60, &v) != NULL);					/* never written */
	CHECK(check(0x10000000, 0, 0x60, &v) != NULL);				/* RAM: a DMA write */
	CHECK(check(0xfed00000, 0, 0x60, &v) != NULL);
	CHECK(check(0xfee00010, 0, 0x60, &v) != NULL);				/* remappable format: IRTE 0 */
	CHECK(check(0xfee00000, 1, 0x60, &v) != NULL);
	CHECK(check(0xfee00000, 0, 0x30, &v) != NULL);				/* a host vector */
	CHECK(check(0xfee00000, 0, 0x5f, &v) != NULL);
	CHECK(check(0xfee00000, 0, 0x80, &v) != NULL);
	CHECK(check(0xfee00000, 0, 0x0260, &v) != NULL);			/* SMI */
	CHECK(check(0xfee00000, 0, 0x0460, &v) != NULL);			/* NMI */
	CHECK(check(0xfee00000, 0, 0x0560, &v) != NULL);			/* INIT */
	CHECK(check(0xfee00000, 0, 0x8060, &v) != NULL);			/* level */
	CHECK_EQ(v, 0xaa);							/* untouched when refused */
}

TEST(msi_layouts_follow_message_control)
{
	struct msi_cap_layout l;

	msi_cap_layout(0, &l);							/* 32-bit, no masking */
	CHECK(!l.is64 && !l.maskable && l.data == 0x08 && l.len == 10 && l.mask == 0 && l.vectors_mask == 1);
	msi_cap_layout(PCI_MSI_FLAGS_64BIT, &l);				/* e1000e */
	CHECK(l.is64 && l.data == 0x0c && l.len == 14);
	msi_cap_layout(PCI_MSI_FLAGS_MASKBIT | (2 << 1), &l);			/* 4 vectors, maskable */
	CHECK(l.data == 0x08 && l.mask == 0x0c && l.pending == 0x10 && l.len == 20 && l.vectors_mask == 0xf);
	msi_cap_layout(PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT | (7 << 1), &l);	/* reserved: 32 */
	CHECK(l.mask == 0x10 && l.pending == 0x14 && l.len == 24 && l.vectors_mask == 0xffffffff);
}

TEST(msi_shadow_takes_only_writable_bits)
{
	struct msi_cap_layout l;
	struct msi_cap_shadow s = { 0 };

	msi_cap_layout(PCI_MSI_FLAGS_64BIT, &l);
	msi_cap_write(&l, &s, 0x00, 4, 0xffffffff);		/* id, next, control: only Enable and MME */
	CHECK_EQ(s.control, PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
	msi_cap_write(&l, &s, 0x04, 4, 0xfee0100f);
	CHECK_EQ(s.msg.address_lo, 0xfee0100c);
	msi_cap_write(&l, &s, 0x08, 4, 0x12345678);
	CHECK_EQ(s.msg.address_hi, 0x12345678);
	msi_cap_write(&l, &s, 0x0c, 4, 0xffff0061);		/* data is 16 bits */
	CHECK_EQ(s.msg.data, 0x0061);
	msi_cap_write(&l, &s, 0x0d, 1, 0x80);			/* a byte write: the high data byte */
	CHECK_EQ(s.msg.data, 0x8061);
	CHECK_EQ(s.mask, 0);					/* no masking on this one */

	/* 32-bit layout: 0x08 is the data, not an upper address. */
	struct msi_cap_shadow t = { 0 };
	msi_cap_layout(PCI_MSI_FLAGS_MASKBIT, &l);
	msi_cap_write(&l, &t, 0x08, 4, 0xffff0062);
	CHECK(t.msg.data == 0x62 && t.msg.address_hi == 0);
	msi_cap_write(&l, &t, 0x0c, 4, 0xffffffff);		/* one vector: mask bit 0 only */
	CHECK_EQ(t.mask, 1);
	msi_cap_write(&l, &t, 0x10, 4, 0xffffffff);		/* pending: the device's */
	CHECK_EQ(t.mask, 1);
}

TEST(msi_reads_merge_shadow_and_device)
{
	struct msi_cap_layout l;
	struct msi_cap_shadow s = { .control = PCI_MSI_FLAGS_ENABLE, .msg = { 0xfee00000, 0, 0x61 } };

	msi_cap_layout(PCI_MSI_FLAGS_64BIT, &l);
	/* The device says: id 5, next 0xe0, control 64-bit with Enable set by the hypervisor; the owner sees its own. */
	uint32_t device = (uint32_t)(PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_ENABLE) << 16 | 0xe005;
	CHECK_EQ(msi_cap_read(&l, &s, 0, 4, device), device);
	s.control = 0;
	CHECK_EQ(msi_cap_read(&l, &s, 0, 4, device), (uint32_t)PCI_MSI_FLAGS_64BIT << 16 | 0xe005);
	CHECK_EQ(msi_cap_read(&l, &s, 2, 2, PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_ENABLE), PCI_MSI_FLAGS_64BIT);
	CHECK_EQ(msi_cap_read(&l, &s, 4, 4, 0xfee00058), 0xfee00000);	/* not the remappable address */
	CHECK_EQ(msi_cap_read(&l, &s, 0x0c, 2, 0), 0x61);
	CHECK_EQ(msi_cap_read(&l, &s, 0x0c, 4, 0xabcd0000), 0xabcd0061);	/* bytes past the data: the device's */
	CHECK_EQ(msi_cap_read(&l, &s, 0x0d, 1, 0), 0);
}

TEST(msix_entries_keep_what_was_written)
{
	struct msix_entry e = MSIX_ENTRY_RESET;

	CHECK_EQ(msix_entry_read(&e, MSIX_ENTRY_VECTOR_CONTROL), MSIX_ENTRY_CTRL_MASKBIT);
	msix_entry_write(&e, MSIX_ENTRY_ADDRESS_LO, 0xfee00000);
	msix_entry_write(&e, MSIX_ENTRY_ADDRESS_HI, 7);
	msix_entry_write(&e, MSIX_ENTRY_DATA, 0x65);
	msix_entry_write(&e, MSIX_ENTRY_VECTOR_CONTROL, 0xfffffffe);	/* reserved bits dropped: unmasked */
	CHECK_EQ(msix_entry_read(&e, MSIX_ENTRY_ADDRESS_LO), 0xfee00000);
	CHECK_EQ(msix_entry_read(&e, MSIX_ENTRY_ADDRESS_HI), 7);
	CHECK_EQ(msix_entry_read(&e, MSIX_ENTRY_DATA), 0x65);
	CHECK_EQ(msix_entry_read(&e, MSIX_ENTRY_VECTOR_CONTROL), 0);
	struct msi_message m = msix_entry_message(&e);
	CHECK(m.address_lo == 0xfee00000 && m.address_hi == 7 && m.data == 0x65);
	msix_entry_write(&e, 3, 0xffffffff);				/* not a dword boundary: nothing */
	CHECK_EQ(e.address_lo, 0xfee00000);
}
