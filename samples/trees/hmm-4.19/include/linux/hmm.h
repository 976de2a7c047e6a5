/* SPDX-License-Identifier: GPL-2.0+ */
/* A sketch of include/linux/hmm.h, for ExportAudit's samples. */
#ifndef LINUX_HMM_H
#define LINUX_HMM_H

struct hmm_devmem *hmm_devmem_add(const struct hmm_devmem_ops *ops,
				  struct device *device,
				  unsigned long size);
struct hmm_devmem *hmm_devmem_add_resource(const struct hmm_devmem_ops *ops,
					   struct device *device,
					   struct resource *res);

#endif /* LINUX_HMM_H */
