/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences the hellodev frontends meet, handled in one place
 * so that the frontends carry no version checks.
 */
#ifndef _HELLODEV_COMPAT_H
#define _HELLODEV_COMPAT_H

#include <linux/device.h>
#include <linux/version.h>

/* 6.2 made the class devnode() callback take a const device. */
#if KERNEL_VERSION(6, 2, 0) <= LINUX_VERSION_CODE
#define hellodev_devnode_device const struct device
#else
#define hellodev_devnode_device struct device
#endif

/* 6.4 dropped the owner argument of class_create(). */
#if KERNEL_VERSION(6, 4, 0) <= LINUX_VERSION_CODE
#define hellodev_class_create(name) class_create(name)
#else
#define hellodev_class_create(name) class_create(THIS_MODULE, name)
#endif

#endif /* _HELLODEV_COMPAT_H */
