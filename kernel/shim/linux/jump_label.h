/* shim of <linux/jump_label.h>: static keys are plain counters. */
#ifndef _LINUX_JUMP_LABEL_H
#define _LINUX_JUMP_LABEL_H
struct static_key_false { int enabled; };
#define DEFINE_STATIC_KEY_FALSE(n) struct static_key_false n = { 0 }
#define DECLARE_STATIC_KEY_FALSE(n) extern struct static_key_false n
#define static_branch_unlikely(k) ((k)->enabled > 0)
#define static_branch_inc(k) ((k)->enabled++)
#define static_branch_dec(k) ((k)->enabled--)
#endif
