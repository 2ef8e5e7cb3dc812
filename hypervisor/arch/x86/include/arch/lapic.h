/* SPDX-License-Identifier: MIT */
/*
 * The local APIC (Intel SDM vol. 3A, chapter 11 "Advanced Programmable
 * Interrupt Controller"; AMD APM vol. 2, chapter 16).
 *
 * Register offsets are the xAPIC MMIO offsets; in x2APIC mode the same
 * register is MSR 0x800 + (offset >> 4) (SDM 11.12.1.2).
 */
#ifndef ARCH_LAPIC_H
#define ARCH_LAPIC_H

#include <hv/types.h>

#define LAPIC_MMIO_SIZE			0x1000

#define LAPIC_ID			0x020
# define LAPIC_ID_XAPIC_SHIFT		24	/* xAPIC: id in bits 31:24; x2APIC: all 32 bits */
#define LAPIC_VERSION			0x030
# define LAPIC_VERSION_VERSION		GENMASK(7, 0)
# define LAPIC_VERSION_MAX_LVT_SHIFT	16
# define LAPIC_VERSION_MAX_LVT		GENMASK(23, 16)	/* number of LVT entries - 1 */
# define LAPIC_VERSION_EOI_SUPPRESS	BIT(24)
#define LAPIC_TPR			0x080	/* task priority */
#define LAPIC_EOI			0x0b0
#define LAPIC_LDR			0x0d0
#define LAPIC_SVR			0x0f0	/* spurious-interrupt vector */
# define LAPIC_SVR_VECTOR		GENMASK(7, 0)
# define LAPIC_SVR_ENABLE		BIT(8)	/* APIC software enable */
#define LAPIC_ISR			0x100	/* 8 registers, 0x10 apart */
#define LAPIC_ESR			0x280	/* error status */
#define LAPIC_LVT_CMCI			0x2f0
#define LAPIC_ICR			0x300	/* xAPIC: low half; 0x310 high half */
#define LAPIC_LVT_TIMER			0x320
# define LAPIC_LVT_TIMER_MODE_MASK	GENMASK(18, 17)
#  define LAPIC_LVT_TIMER_ONESHOT	(0U << 17)
#  define LAPIC_LVT_TIMER_PERIODIC	(1U << 17)
#  define LAPIC_LVT_TIMER_TSC_DEADLINE	(2U << 17)
#define LAPIC_LVT_THERMAL		0x330
#define LAPIC_LVT_PMC			0x340	/* performance monitoring counters */
#define LAPIC_LVT_LINT0			0x350
#define LAPIC_LVT_LINT1			0x360
#define LAPIC_LVT_ERROR			0x370
/* Fields common to the LVT entries. */
# define LAPIC_LVT_VECTOR		GENMASK(7, 0)
# define LAPIC_LVT_DELIVERY_MASK	GENMASK(10, 8)
#  define LAPIC_LVT_DELIVERY_FIXED	(0U << 8)
#  define LAPIC_LVT_DELIVERY_NMI	(4U << 8)
#  define LAPIC_LVT_DELIVERY_EXTINT	(7U << 8)
# define LAPIC_LVT_PENDING		BIT(12)	/* delivery status */
# define LAPIC_LVT_LEVEL		BIT(15)	/* trigger mode */
# define LAPIC_LVT_MASKED		BIT(16)
#define LAPIC_TIMER_INITIAL_COUNT	0x380
#define LAPIC_TIMER_CURRENT_COUNT	0x390
#define LAPIC_TIMER_DIVIDE_CONFIG	0x3e0
# define LAPIC_TIMER_DIVIDE_MASK	(BIT(3) | GENMASK(1, 0))	/* bit 2 is reserved */

#define X2APIC_MSR_BASE			0x800

/* Set the LAPIC up on this CPU: mode, LVT masks, software enable, spurious vector. */
void lapic_init(void);

/* True once lapic_init() has run: the APIC is enabled and the accessors work. */
bool lapic_ready(void);
bool lapic_is_x2apic(void);

uint32_t lapic_id(void);

/* Spurious interrupts taken so far (they need no EOI and are only counted). */
uint64_t lapic_spurious_count(void);

/* Acknowledge the interrupt being serviced (not for the spurious vector). */
void lapic_eoi(void);

/*
 * The timer counts down from the initial count at the bus (or core
 * crystal) clock divided by the divisor, a power of two from 1 to 128.
 * Returns -HV_EINVAL for another value.
 */
int lapic_timer_set_divide(unsigned int divisor);
unsigned int lapic_timer_divide(void);

/*
 * Start the timer on `vector`: one interrupt after `count` ticks, or one
 * every `count` ticks. `masked` counts without interrupting (calibration).
 * A count of 0 stops the timer.
 */
void lapic_timer_oneshot(uint8_t vector, uint32_t count, bool masked);
void lapic_timer_periodic(uint8_t vector, uint32_t count);
void lapic_timer_stop(void);
uint32_t lapic_timer_current(void);

#endif /* ARCH_LAPIC_H */
