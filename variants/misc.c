// SPDX-License-Identifier: GPL-2.0
/*
 * hellodev misc frontend: the hellodev core as a misc device, /dev/<name> on
 * a dynamic minor of the misc major.
 */
#include <linux/device.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "hellodev.h"

static ushort mode = HELLODEV_DEFAULT_MODE;
module_param_cb(mode, &hellodev_param_ops_mode, &mode, 0444);
MODULE_PARM_DESC(mode, "Permissions of /dev/<name>: 0400, 0440 or 0444 (default: 0400)");

/**
 * struct hellodev_misc - the core device and its misc registration
 * @hd: core device
 * @misc: misc registration; misc_open() points file->private_data at it
 */
struct hellodev_misc {
	struct hellodev hd;
	struct miscdevice misc;
};

static struct hellodev_misc hellodev_misc;

static int open_misc(struct inode *inode, struct file *file)
{
	struct hellodev_misc *hm = container_of(file->private_data,
						struct hellodev_misc, misc);

	return hellodev_open(&hm->hd, file);
}

static const struct file_operations misc_fops = {
	.owner		= THIS_MODULE,
	.open		= open_misc,
	.read		= hellodev_read,
	.llseek		= hellodev_llseek,
};

static ssize_t open_count_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct miscdevice *misc = dev_get_drvdata(dev);
	struct hellodev_misc *hm = container_of(misc, struct hellodev_misc,
						misc);

	return sysfs_emit(buf, "%llu\n", hellodev_open_count(&hm->hd));
}
static DEVICE_ATTR_RO(open_count);

static struct attribute *hellodev_misc_attrs[] = {
	&dev_attr_open_count.attr,
	NULL
};
ATTRIBUTE_GROUPS(hellodev_misc);

static int __init hellodev_misc_init(void)
{
	struct hellodev_misc *hm = &hellodev_misc;
	int err;

	err = hellodev_setup_from_params(&hm->hd, KBUILD_MODNAME);
	if (err)
		return err;
	err = hellodev_check_mode(&hm->hd, mode);
	if (err)
		return err;

	hm->misc.minor = MISC_DYNAMIC_MINOR;
	hm->misc.name = hm->hd.name;
	hm->misc.fops = &misc_fops;
	hm->misc.groups = hellodev_misc_groups;
	hm->misc.mode = mode;
	err = misc_register(&hm->misc);
	if (err) {
		pr_err("%s: cannot register misc device (%d); is the name taken in /sys/class/misc?\n",
		       hm->hd.name, err);
		return err;
	}

	pr_info("%s: misc device /dev/%s (init)\n", hm->hd.name, hm->hd.name);
	return 0;
}
module_init(hellodev_misc_init);

static void __exit hellodev_misc_exit(void)
{
	misc_deregister(&hellodev_misc.misc);
	pr_info("%s: misc device (exit)\n", hellodev_misc.hd.name);
}
module_exit(hellodev_misc_exit);

MODULE_AUTHOR("hellodev developers");
MODULE_DESCRIPTION("hellodev greeting device: misc device frontend");
MODULE_LICENSE("GPL");
MODULE_VERSION(HELLODEV_VERSION);
