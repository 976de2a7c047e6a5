// SPDX-License-Identifier: GPL-2.0
/* A sketch of lib/percpu-refcount.c, for ExportAudit's samples. */
#include <linux/export.h>
#include <linux/percpu-refcount.h>

int percpu_ref_init(struct percpu_ref *ref, percpu_ref_func_t *release, unsigned int flags, gfp_t gfp)
{
	ref->release = release;
	return percpu_ref_alloc(ref, flags, gfp);
}
EXPORT_SYMBOL_GPL(percpu_ref_init);

void percpu_ref_kill_and_confirm(struct percpu_ref *ref, percpu_ref_func_t *confirm_kill)
{
	__percpu_ref_switch_mode(ref, confirm_kill);
}
EXPORT_SYMBOL_GPL(percpu_ref_kill_and_confirm);
