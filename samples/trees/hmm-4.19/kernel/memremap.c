// SPDX-License-Identifier: GPL-2.0
/* A sketch of kernel/memremap.c after patch 1 of the HMM series, for ExportAudit's samples. */
#include <linux/export.h>
#include <linux/memremap.h>

void *devm_memremap_pages(struct device *dev, struct dev_pagemap *pgmap)
{
	if (region_intersects(pgmap->res.start, resource_size(&pgmap->res), IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE) != REGION_DISJOINT)
		return ERR_PTR(-ENXIO);
	return memremap_pages_setup(dev, pgmap);
}
EXPORT_SYMBOL_GPL(devm_memremap_pages);
