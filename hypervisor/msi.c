// SPDX-License-Identifier: MIT
/*
 * The pure half of MSI/MSI-X emulation (hv/msi.h): message checks, the MSI
 * capability's layout and shadow, MSI-X table entries. No device access:
 * hypervisor/pci_irq.c decides what the device sees.
 */
#include <abi/hypercall.h>
#include <hv/msi.h>

const char *msi_message_check(const struct msi_message *m, uint8_t *vector)
{
	uint8_t v = (uint8_t)(m->data & MSI_DATA_VECTOR);
	uint32_t mode = m->data & MSI_DATA_DELIVERY_MODE;

	if ((m->address_lo & MSI_ADDRESS_BASE_MASK) != MSI_ADDRESS_BASE)
		return "the address is not in the interrupt range 0xfee00000-0xfeefffff";
	if (m->address_lo & MSI_ADDRESS_REMAPPABLE)
		return "a remappable-format address (the interrupt remapping table is the hypervisor's)";
	if (m->address_hi)
		return "the upper address is not 0";
	if (mode != MSI_DATA_DELIVERY_FIXED && mode != MSI_DATA_DELIVERY_LOWPRI)
		return "the delivery mode is not fixed or lowest priority";
	if (m->data & MSI_DATA_TRIGGER_LEVEL)
		return "level-triggered (messages are edge-triggered)";
	if (v < UHV_MSI_VECTOR_BASE || v > UHV_MSI_VECTOR_LAST)
		return "the vector is outside 0x60-0x7f (UHV_MSI_VECTOR_BASE..LAST)";
	*vector = v;
	return NULL;
}

void msi_cap_layout(uint16_t flags, struct msi_cap_layout *l)
{
	unsigned int capable = 1U << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);

	if (capable > 32)
		capable = 32;	/* 110b and 111b are reserved */
	*l = (struct msi_cap_layout){
		.is64 = flags & PCI_MSI_FLAGS_64BIT,
		.maskable = flags & PCI_MSI_FLAGS_MASKBIT,
		.vectors_mask = capable == 32 ? UINT32_MAX : (1U << capable) - 1,
	};
	l->data = l->is64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
	l->len = (uint8_t)(l->data + 2);
	if (l->maskable) {
		l->mask = l->is64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32;
		l->pending = (uint8_t)(l->mask + 4);
		l->len = (uint8_t)(l->pending + 4);
	}
}

/*
 * The shadowed byte at off of the capability: a pointer into s and the bits
 * of it the owner may write; NULL if the byte is not shadowed (the device's).
 */
static uint8_t *shadow_byte(const struct msi_cap_layout *l, struct msi_cap_shadow *s, unsigned int off,
			    uint8_t *writable)
{
	unsigned int i;

	if (off == PCI_MSI_FLAGS) {
		*writable = (uint8_t)MSI_SHADOW_CONTROL_BITS;
		return (uint8_t *)&s->control;		/* little-endian: the low byte */
	}
	if (off >= PCI_MSI_ADDRESS_LO && off < PCI_MSI_ADDRESS_LO + 4) {
		i = off - PCI_MSI_ADDRESS_LO;
		*writable = i == 0 ? 0xfc : 0xff;	/* bits 1:0 are reserved */
		return (uint8_t *)&s->msg.address_lo + i;
	}
	if (l->is64 && off >= PCI_MSI_ADDRESS_HI && off < PCI_MSI_ADDRESS_HI + 4) {
		*writable = 0xff;
		return (uint8_t *)&s->msg.address_hi + (off - PCI_MSI_ADDRESS_HI);
	}
	if (off >= l->data && off < l->data + 2u) {
		*writable = 0xff;
		return (uint8_t *)&s->msg.data + (off - l->data);
	}
	if (l->maskable && off >= l->mask && off < l->mask + 4u) {
		i = off - l->mask;
		*writable = (uint8_t)(l->vectors_mask >> (8 * i));
		return (uint8_t *)&s->mask + i;
	}
	return NULL;
}

void msi_cap_write(const struct msi_cap_layout *l, struct msi_cap_shadow *s, uint16_t off, unsigned int size,
		   uint32_t value)
{
	for (unsigned int i = 0; i < size && i < 4; i++) {
		uint8_t writable, b = (uint8_t)(value >> (8 * i));
		uint8_t *p = shadow_byte(l, s, off + i, &writable);

		if (p)
			*p = (uint8_t)((*p & ~writable) | (b & writable));
	}
}

uint32_t msi_cap_read(const struct msi_cap_layout *l, const struct msi_cap_shadow *s, uint16_t off,
		      unsigned int size, uint32_t device)
{
	struct msi_cap_shadow copy = *s;	/* shadow_byte hands out writable pointers */
	uint32_t v = device;

	for (unsigned int i = 0; i < size && i < 4; i++) {
		uint8_t writable;
		const uint8_t *p = shadow_byte(l, &copy, off + i, &writable);

		if (p)
			v = (v & ~(0xffU << (8 * i))) | ((uint32_t)((*p & writable) | ((device >> (8 * i)) & ~writable & 0xff))
							 << (8 * i));
	}
	return v;
}

void msix_entry_write(struct msix_entry *next, unsigned int off, uint32_t value)
{
	switch (off) {
	case MSIX_ENTRY_ADDRESS_LO:	next->address_lo = value; break;
	case MSIX_ENTRY_ADDRESS_HI:	next->address_hi = value; break;
	case MSIX_ENTRY_DATA:		next->data = value; break;
	case MSIX_ENTRY_VECTOR_CONTROL:	next->vector_control = value & MSIX_ENTRY_CTRL_MASKBIT; break;
	default:			break;
	}
}

uint32_t msix_entry_read(const struct msix_entry *e, unsigned int off)
{
	switch (off) {
	case MSIX_ENTRY_ADDRESS_LO:	return e->address_lo;
	case MSIX_ENTRY_ADDRESS_HI:	return e->address_hi;
	case MSIX_ENTRY_DATA:		return e->data;
	case MSIX_ENTRY_VECTOR_CONTROL:	return e->vector_control & MSIX_ENTRY_CTRL_MASKBIT;
	default:			return 0;
	}
}
