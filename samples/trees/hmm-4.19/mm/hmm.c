// SPDX-License-Identifier: GPL-2.0+
/*
 * A sketch of mm/hmm.c in 4.19 with patches 1-6 of the November 2018 HMM series applied, written for
 * ExportAudit's samples (not the kernel's code): just enough of the device-memory entry points for a
 * review to see what they call. hmm_devmem_add() and hmm_devmem_add_resource() have become thin
 * wrappers around devm_memremap_pages(), which is EXPORT_SYMBOL_GPL.
 */
#include <linux/export.h>
#include <linux/hmm.h>
#include <linux/memremap.h>
#include <linux/percpu-refcount.h>

static void hmm_devmem_ref_release(struct percpu_ref *ref)
{
	struct hmm_devmem *devmem = container_of(ref, struct hmm_devmem, ref);

	complete(&devmem->completion);
}

static void hmm_devmem_ref_kill(struct percpu_ref *ref)
{
	percpu_ref_kill(ref);
}

struct hmm_devmem *hmm_devmem_add(const struct hmm_devmem_ops *ops,
				  struct device *device,
				  unsigned long size)
{
	struct hmm_devmem *devmem;
	void *result;
	int ret;

	devmem = devm_kzalloc(device, sizeof(*devmem), GFP_KERNEL);
	if (!devmem)
		return ERR_PTR(-ENOMEM);

	init_completion(&devmem->completion);
	devmem->ops = ops;
	devmem->device = device;

	ret = percpu_ref_init(&devmem->ref, &hmm_devmem_ref_release, 0, GFP_KERNEL);
	if (ret)
		return ERR_PTR(ret);

	devmem->pagemap.type = MEMORY_DEVICE_PRIVATE;
	devmem->pagemap.ref = &devmem->ref;
	devmem->pagemap.kill = hmm_devmem_ref_kill;
	result = devm_memremap_pages(devmem->device, &devmem->pagemap);
	if (IS_ERR(result))
		return result;
	return devmem;
}
EXPORT_SYMBOL(hmm_devmem_add);

struct hmm_devmem *hmm_devmem_add_resource(const struct hmm_devmem_ops *ops,
					   struct device *device,
					   struct resource *res)
{
	struct hmm_devmem *devmem;
	void *result;
	int ret;

	if (res->desc != IORES_DESC_DEVICE_PUBLIC_MEMORY)
		return ERR_PTR(-EINVAL);

	devmem = devm_kzalloc(device, sizeof(*devmem), GFP_KERNEL);
	if (!devmem)
		return ERR_PTR(-ENOMEM);

	ret = percpu_ref_init(&devmem->ref, &hmm_devmem_ref_release, 0, GFP_KERNEL);
	if (ret)
		return ERR_PTR(ret);

	devmem->resource = res;
	devmem->pagemap.type = MEMORY_DEVICE_PUBLIC;
	devmem->pagemap.ref = &devmem->ref;
	devmem->pagemap.kill = hmm_devmem_ref_kill;
	result = devm_memremap_pages(devmem->device, &devmem->pagemap);
	if (IS_ERR(result))
		return result;
	return devmem;
}
EXPORT_SYMBOL(hmm_devmem_add_resource);
