/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * uevent: broadcast one device event on udev's netlink multicast group, in udev's own
 * format, as systemd-udevd does after processing a kernel uevent (systemd's
 * device_monitor_send_device()): the "libudev" header with the magic and the subsystem
 * hash that libudev subscribers filter on in the kernel (BPF), then the properties.
 *
 *   uevent ACTION DEVPATH KEY=VALUE...
 *
 * SEQNUM is added. A container has no udevd (its /sys is read-only), so this is how
 * tests/systemd/run.sh makes fwctld's libudev monitor receive fwctl hotplug events there.
 * Needs CAP_NET_ADMIN (multicast send) and uid 0 (libudev drops other senders).
 */
#include <endian.h>
#include <errno.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define UDEV_MONITOR_MAGIC 0xfeedcafeU
#define MONITOR_GROUP_UDEV 2U

/* libudev's struct monitor_netlink_header. */
struct monitor_netlink_header {
        char prefix[8];
        uint32_t magic;
        uint32_t header_size;
        uint32_t properties_off;
        uint32_t properties_len;
        uint32_t filter_subsystem_hash;
        uint32_t filter_devtype_hash;
        uint32_t filter_tag_bloom_hi;
        uint32_t filter_tag_bloom_lo;
};

/* MurmurHash2 with seed 0: systemd's string_hash32(), what the filters compare. */
static uint32_t murmur2(const char *s) {
        const uint32_t m = 0x5bd1e995;
        size_t len = strlen(s);
        const unsigned char *data = (const unsigned char *) s;
        uint32_t h = (uint32_t) len;

        while (len >= 4) {
                uint32_t k;

                memcpy(&k, data, 4);
                k *= m;
                k ^= k >> 24;
                k *= m;
                h *= m;
                h ^= k;
                data += 4;
                len -= 4;
        }
        if (len == 3)
                h ^= (uint32_t) data[2] << 16;
        if (len >= 2)
                h ^= (uint32_t) data[1] << 8;
        if (len >= 1) {
                h ^= data[0];
                h *= m;
        }
        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return h;
}

static int append(char *buf, size_t size, size_t *len, const char *key, const char *value) {
        int n = snprintf(buf + *len, size - *len, "%s%s", key, value);

        if (n < 0 || (size_t) n + 1 > size - *len)
                return -1;
        *len += (size_t) n + 1;
        return 0;
}

int main(int argc, char **argv) {
        struct monitor_netlink_header h = { .prefix = "libudev" };
        struct sockaddr_nl dest = { .nl_family = AF_NETLINK, .nl_groups = MONITOR_GROUP_UDEV };
        char props[4096], seqnum[32];
        const char *subsystem = NULL;
        struct iovec iov[2];
        struct msghdr msg = { .msg_name = &dest, .msg_namelen = sizeof(dest), .msg_iov = iov, .msg_iovlen = 2 };
        size_t len = 0;
        int fd, r = 0;

        if (argc < 3) {
                fprintf(stderr, "usage: %s ACTION DEVPATH KEY=VALUE...\n", argv[0]);
                return 2;
        }
        snprintf(seqnum, sizeof(seqnum), "%lld", (long long) time(NULL) * 1000 + getpid() % 1000);
        r |= append(props, sizeof(props), &len, "ACTION=", argv[1]);
        r |= append(props, sizeof(props), &len, "DEVPATH=", argv[2]);
        r |= append(props, sizeof(props), &len, "SEQNUM=", seqnum);
        for (int i = 3; i < argc; i++) {
                if (strncmp(argv[i], "SUBSYSTEM=", strlen("SUBSYSTEM=")) == 0)
                        subsystem = argv[i] + strlen("SUBSYSTEM=");
                r |= append(props, sizeof(props), &len, "", argv[i]);
        }
        if (r < 0 || !subsystem) {
                fprintf(stderr, "uevent: properties too long, or no SUBSYSTEM=\n");
                return 2;
        }

        h.magic = htobe32(UDEV_MONITOR_MAGIC);
        h.header_size = sizeof(h);
        h.properties_off = sizeof(h);
        h.properties_len = (uint32_t) len;
        h.filter_subsystem_hash = htobe32(murmur2(subsystem));
        iov[0] = (struct iovec) { .iov_base = &h, .iov_len = sizeof(h) };
        iov[1] = (struct iovec) { .iov_base = props, .iov_len = len };

        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
        if (fd < 0 || sendmsg(fd, &msg, 0) < 0) {
                fprintf(stderr, "uevent: %s\n", strerror(errno));
                return 1;
        }
        close(fd);
        return 0;
}
