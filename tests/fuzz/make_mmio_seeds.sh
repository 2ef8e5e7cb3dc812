#!/bin/sh
# SPDX-License-Identifier: MIT
# Seed corpus for fuzz_mmio_decode: a mode byte (1: 64-bit, 0: 32-bit), then
# real encodings (GNU as output) of the moves a driver makes, and a few the
# decoder must refuse.
set -e
out=${1:?usage: $0 OUTDIR}
n=0
seed() { n=$((n + 1)); printf "$1" > "$out/seed-$n"; }
seed '\001\213\007'				# mov (%rdi),%eax
seed '\001\104\211\224\216\064\022\000\000'	# mov %r10d,0x1234(%rsi,%rcx,4)
seed '\001\146\213\112\002'			# mov 0x2(%rdx),%cx
seed '\001\212\070'				# mov (%rax),%bh
seed '\001\110\307\000\376\377\377\377'		# movq $-2,(%rax)
seed '\001\146\307\000\064\022'			# movw $0x1234,(%rax)
seed '\001\104\017\267\137\002'			# movzwl 0x2(%rdi),%r11d
seed '\001\144\213\000'				# mov %fs:(%rax),%eax
seed '\001\213\005\000\000\000\000'		# mov 0x0(%rip),%eax
seed '\001\213\004\315\000\000\000\000'		# mov 0x0(,%rcx,8),%eax
seed '\000\213\015\020\000\000\260'		# mov 0xb0000010,%ecx (32-bit)
seed '\001\360\203\000\001'			# lock addl $0x1,(%rax)
seed '\001\363\244'				# rep movsb
