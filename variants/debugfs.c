// SPDX-License-Identifier: GPL-2.0
/*
 * hellodev debugfs frontend: the hellodev core as the debugfs file
 * <debugfs>/<name>/greeting, next to its open_count.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>

#include "hellodev.h"

static bool full_proxy;
module_param(full_proxy, bool, 0444);
MODULE_PARM_DESC(full_proxy, "Register greeting through debugfs' full proxy (default: N)");

/**
 * struct hellodev_debugfs - the core device and its debugfs directory
 * @hd: core device; the files' i_private
 * @dir: <debugfs>/<name>
 */
struct hellodev_debugfs {
	struct hellodev hd;
	struct dentry *dir;
};

static struct hellodev_debugfs hellodev_debugfs;

static int open_debugfs(struct inode *inode, struct file *file)
{
	return hellodev_open(inode->i_private, file);
}

/* debugfs' full proxy on 6.1 forwards .read, not .read_iter: use .read. */
static const struct file_operations greeting_fops = {
	.owner		= THIS_MODULE,
	.open		= open_debugfs,
	.read		= hellodev_read,
	.llseek		= hellodev_llseek,
};

static int open_count_get(void *data, u64 *val)
{
	*val = hellodev_open_count(data);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(open_count_fops, open_count_get, NULL, "%llu\n");

/*
 * Create <dir>/@file for the core device, through debugfs' full proxy if
 * @proxy; on failure, say which file and return the error.
 */
static int __init add_file(struct hellodev_debugfs *hdd, const char *file,
			   const struct file_operations *fops, bool proxy)
{
	struct dentry *d;

	if (proxy)
		d = debugfs_create_file(file, 0400, hdd->dir, &hdd->hd, fops);
	else
		d = debugfs_create_file_unsafe(file, 0400, hdd->dir, &hdd->hd,
					       fops);
	if (IS_ERR(d)) {
		pr_err("%s: cannot create debugfs file %s in directory %s (%ld)\n",
		       hdd->hd.name, file, hdd->hd.name, PTR_ERR(d));
		return PTR_ERR(d);
	}
	return 0;
}

static int __init hellodev_debugfs_init(void)
{
	struct hellodev_debugfs *hdd = &hellodev_debugfs;
	int err;

	err = hellodev_setup_from_params(&hdd->hd, KBUILD_MODNAME);
	if (err)
		return err;

	/*
	 * debugfs results are usually ignored, but this module exists for its
	 * file: without it the load fails, and says why.
	 */
	hdd->dir = debugfs_create_dir(hdd->hd.name, NULL);
	if (IS_ERR(hdd->dir)) {
		err = PTR_ERR(hdd->dir);
		pr_err("%s: cannot create debugfs directory %s (%d); is debugfs enabled, and is the name free?\n",
		       hdd->hd.name, hdd->hd.name, err);
		return err;
	}

	/*
	 * Without the full proxy, debugfs only wraps open(): it takes a
	 * reference on greeting_fops.owner and then hands the file our fops,
	 * so reads cost what they cost on a cdev. That is safe because the
	 * module cannot be unloaded while the file is open, which the
	 * conformance suite checks; full_proxy=Y keeps the proxy for
	 * comparison.
	 */
	err = add_file(hdd, "greeting", &greeting_fops, full_proxy);
	if (err)
		goto remove_dir;
	err = add_file(hdd, "open_count", &open_count_fops, false);
	if (err)
		goto remove_dir;

	pr_info("%s: debugfs file %s/greeting (init)\n", hdd->hd.name,
		hdd->hd.name);
	return 0;

remove_dir:
	debugfs_remove_recursive(hdd->dir);
	return err;
}
module_init(hellodev_debugfs_init);

static void __exit hellodev_debugfs_exit(void)
{
	debugfs_remove_recursive(hellodev_debugfs.dir);
	pr_info("%s: debugfs file (exit)\n", hellodev_debugfs.hd.name);
}
module_exit(hellodev_debugfs_exit);

MODULE_AUTHOR("hellodev developers");
MODULE_DESCRIPTION("hellodev greeting device: debugfs frontend");
MODULE_LICENSE("GPL");
MODULE_VERSION(HELLODEV_VERSION);
