/* shim of <linux/ethtool.h>: ETH_GSTRING_LEN (only for the stats strings). */
#define ETH_GSTRING_LEN 32
