// SPDX-License-Identifier: GPL-2.0
/*
 * hellodev cdev frontend: the hellodev core as a cdev on a major from
 * alloc_chrdev_region(), with a class "hellodev" so that /dev/<name> appears.
 */
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/module.h>

#include "compat.h"
#include "hellodev.h"

static ushort mode = HELLODEV_DEFAULT_MODE;
module_param_cb(mode, &hellodev_param_ops_mode, &mode, 0444);
MODULE_PARM_DESC(mode, "Permissions of /dev/<name>: 0400, 0440 or 0444 (default: 0400)");

/**
 * struct hellodev_cdev - the core device and its cdev registration
 * @hd: core device
 * @cdev: character device, from cdev_alloc()
 * @devt: device number from alloc_chrdev_region()
 * @class: class "hellodev", whose devnode() sets the node's mode
 * @dev: device under @class that makes the node appear
 */
struct hellodev_cdev {
	struct hellodev hd;
	struct cdev *cdev;
	dev_t devt;
	struct class *class;
	struct device *dev;
};

/*
 * The one device of this module. Its cdev is not embedded here: a cdev is
 * a kobject, whose last reference may be dropped after cdev_del() returns
 * (DEBUG_KOBJECT_RELEASE delays every release by seconds), so it must not
 * live in module memory. open() therefore cannot container_of() its way
 * from inode->i_cdev back to this structure, and does not need to.
 */
static struct hellodev_cdev hellodev_cdev;

static int open_cdev(struct inode *inode, struct file *file)
{
	return hellodev_open(&hellodev_cdev.hd, file);
}

static const struct file_operations cdev_fops = {
	.owner		= THIS_MODULE,
	.open		= open_cdev,
	.read		= hellodev_read,
	.llseek		= hellodev_llseek,
};

static ssize_t open_count_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct hellodev_cdev *hc = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%llu\n", hellodev_open_count(&hc->hd));
}
static DEVICE_ATTR_RO(open_count);

static struct attribute *hellodev_cdev_attrs[] = {
	&dev_attr_open_count.attr,
	NULL
};
ATTRIBUTE_GROUPS(hellodev_cdev);

static char *devnode_cdev(hellodev_devnode_device *dev, umode_t *mode_out)
{
	if (mode_out)
		*mode_out = mode;
	return NULL;
}

static int __init hellodev_cdev_init(void)
{
	struct hellodev_cdev *hc = &hellodev_cdev;
	int err;

	err = hellodev_setup_from_params(&hc->hd, KBUILD_MODNAME);
	if (err)
		return err;
	err = hellodev_check_mode(&hc->hd, mode);
	if (err)
		return err;

	err = alloc_chrdev_region(&hc->devt, 0, 1, hc->hd.name);
	if (err) {
		pr_err("%s: cannot allocate a character device number (%d)\n",
		       hc->hd.name, err);
		return err;
	}

	hc->class = hellodev_class_create("hellodev");
	if (IS_ERR(hc->class)) {
		err = PTR_ERR(hc->class);
		pr_err("%s: cannot create class hellodev (%d); is /sys/class/hellodev in use?\n",
		       hc->hd.name, err);
		goto unregister_region;
	}
	hc->class->devnode = devnode_cdev;

	hc->cdev = cdev_alloc();
	if (!hc->cdev) {
		err = -ENOMEM;
		pr_err("%s: cannot allocate the character device (%d)\n",
		       hc->hd.name, err);
		goto destroy_class;
	}
	hc->cdev->ops = &cdev_fops;
	hc->cdev->owner = THIS_MODULE;
	err = cdev_add(hc->cdev, hc->devt, 1);
	if (err) {
		pr_err("%s: cannot add the character device (%d)\n",
		       hc->hd.name, err);
		kobject_put(&hc->cdev->kobj);
		goto destroy_class;
	}

	hc->dev = device_create_with_groups(hc->class, NULL, hc->devt, hc,
					    hellodev_cdev_groups, "%s",
					    hc->hd.name);
	if (IS_ERR(hc->dev)) {
		err = PTR_ERR(hc->dev);
		pr_err("%s: cannot create the device for /dev/%s (%d)\n",
		       hc->hd.name, hc->hd.name, err);
		goto del_cdev;
	}

	pr_info("%s: cdev /dev/%s on %u:%u (init)\n", hc->hd.name,
		hc->hd.name, MAJOR(hc->devt), MINOR(hc->devt));
	return 0;

del_cdev:
	cdev_del(hc->cdev);
destroy_class:
	class_destroy(hc->class);
unregister_region:
	unregister_chrdev_region(hc->devt, 1);
	return err;
}
module_init(hellodev_cdev_init);

static void __exit hellodev_cdev_exit(void)
{
	struct hellodev_cdev *hc = &hellodev_cdev;

	device_destroy(hc->class, hc->devt);
	cdev_del(hc->cdev);
	class_destroy(hc->class);
	unregister_chrdev_region(hc->devt, 1);
	pr_info("%s: cdev (exit)\n", hc->hd.name);
}
module_exit(hellodev_cdev_exit);

MODULE_AUTHOR("hellodev developers");
MODULE_DESCRIPTION("hellodev greeting device: cdev frontend");
MODULE_LICENSE("GPL");
MODULE_VERSION(HELLODEV_VERSION);
