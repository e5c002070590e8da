/*
 * clk.h - the two clocks: monotonic, for every interval, rate, backoff and
 * timeout (a wall-clock step changes none of them), and the wall clock,
 * for timestamps that outlive a process.
 */
#ifndef CLK_H
#define CLK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t clk_mono_ns(void);
/* CLOCK_REALTIME in milliseconds since the epoch. */
int64_t clk_wall_ms(void);
/* Sleep ms milliseconds (a signal may end it early). */
void clk_sleep_ms(long ms);

#endif
