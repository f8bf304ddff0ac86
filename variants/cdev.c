// SPDX-License-Identifier: GPL-2.0
/*
 * hellodev cdev frontend: the hellodev core as a cdev on a major from
 * alloc_chrdev_region(), with a class "hellodev" so that /dev/<name> appears.
 */
#include <linux/cdev.h>
#include <linux/completion.h>
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
 * @cdev_parent: parent kobject of @cdev, released after it
 * @cdev_gone: completed when @cdev_parent is released, so @cdev is too
 * @devt: device number from alloc_chrdev_region()
 * @class: class "hellodev", whose devnode() sets the node's mode
 * @dev: device under @class that makes the node appear
 */
struct hellodev_cdev {
	struct hellodev hd;
	struct cdev *cdev;
	struct kobject cdev_parent;
	struct completion cdev_gone;
	dev_t devt;
	struct class *class;
	struct device *dev;
};

/*
 * The one device of this module. A cdev is a kobject, released when its
 * last reference goes, which may be after cdev_del() returns: a kobject
 * release can be delayed (by seconds with DEBUG_KOBJECT_RELEASE). Until
 * then the cdev points into this module (owner, ops), and so does every
 * inode that opened it (i_cdev): chrdev_open() of a node made with mknod
 * takes the cdev from its inode and pins cdev->owner, however long ago the
 * cdev was deleted. Only the release clears i_cdev (cdev_purge()). So the
 * module must outlive its cdev's release: the cdev's parent kobject, put
 * after the cdev, completes cdev_gone when released, and exit waits for it.
 * The cdev comes from cdev_alloc(), which frees it in its release.
 */
static struct hellodev_cdev hellodev_cdev;

static void cdev_parent_release(struct kobject *kobj)
{
	struct hellodev_cdev *hc = container_of(kobj, struct hellodev_cdev,
						cdev_parent);

	complete(&hc->cdev_gone);
}

static const struct kobj_type cdev_parent_ktype = {
	.release	= cdev_parent_release,
};

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

	init_completion(&hc->cdev_gone);
	kobject_init(&hc->cdev_parent, &cdev_parent_ktype);
	hc->cdev = cdev_alloc();
	if (!hc->cdev) {
		err = -ENOMEM;
		pr_err("%s: cannot allocate the character device (%d)\n",
		       hc->hd.name, err);
		goto put_parent;
	}
	cdev_set_parent(hc->cdev, &hc->cdev_parent);
	hc->cdev->ops = &cdev_fops;
	hc->cdev->owner = THIS_MODULE;
	err = cdev_add(hc->cdev, hc->devt, 1);
	if (err) {
		pr_err("%s: cannot add the character device (%d)\n",
		       hc->hd.name, err);
		/*
		 * The cdev's release puts its parent, on which a failed
		 * cdev_add() took no reference: that put is our reference's.
		 */
		kobject_put(&hc->cdev->kobj);
		goto wait_cdev;
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
put_parent:
	kobject_put(&hc->cdev_parent);
wait_cdev:
	wait_for_completion(&hc->cdev_gone);
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
	kobject_put(&hc->cdev_parent);
	wait_for_completion(&hc->cdev_gone);
	class_destroy(hc->class);
	unregister_chrdev_region(hc->devt, 1);
	pr_info("%s: cdev (exit)\n", hc->hd.name);
}
module_exit(hellodev_cdev_exit);

MODULE_AUTHOR("hellodev developers");
MODULE_DESCRIPTION("hellodev greeting device: cdev frontend");
MODULE_LICENSE("GPL");
MODULE_VERSION(HELLODEV_VERSION);
