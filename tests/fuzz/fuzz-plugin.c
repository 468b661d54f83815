/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <unistd.h>

#include <fwctld/fwctl-uapi.h>

#include "fuzz-plugin.h"
#include "log.h"
#include "policy.h"
#include "plugin-loader.h"

/* Bounds the work of one input: a plugin that loops on the firmware stops here. */
#define FUZZ_MAX_IOCTLS 256u

static FuzzData *firmware;
static unsigned n_ioctls;

bool fuzz_utf8_valid(const char *s) {
        const uint8_t *p = (const uint8_t *) s;

        while (*p) {
                unsigned n;
                uint32_t cp;

                if (*p < 0x80) {
                        p++;
                        continue;
                }
                if ((*p & 0xe0) == 0xc0) {
                        n = 1;
                        cp = *p & 0x1f;
                } else if ((*p & 0xf0) == 0xe0) {
                        n = 2;
                        cp = *p & 0x0f;
                } else if ((*p & 0xf8) == 0xf0) {
                        n = 3;
                        cp = *p & 0x07;
                } else
                        return false;
                for (unsigned i = 1; i <= n; i++) {
                        if ((p[i] & 0xc0) != 0x80)
                                return false;
                        cp = cp << 6 | (p[i] & 0x3f);
                }
                if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
                    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                p += n + 1;
        }
        return true;
}

void fuzz_check_json(const char *s, bool want_object) {
        json_tokener *tok;
        json_object *o;

        if (!s || !fuzz_utf8_valid(s)) {
                fprintf(stderr, "fuzz: result is not a UTF-8 string: %s\n", s ? s : "(null)");
                abort();
        }
        tok = json_tokener_new();
        if (!tok)
                abort();
        o = json_tokener_parse_ex(tok, s, (int) strlen(s));
        if (!o || json_tokener_get_error(tok) != json_tokener_success ||
            (want_object && !json_object_is_type(o, json_type_object))) {
                fprintf(stderr, "fuzz: result is not a JSON %s: %s\n", want_object ? "object" : "document", s);
                abort();
        }
        json_object_put(o);
        json_tokener_free(tok);
}

void fuzz_firmware_set(FuzzData *f) {
        firmware = f;
        n_ioctls = 0;
}

unsigned fuzz_firmware_ioctls(void) {
        return n_ioctls;
}

int __wrap_fwctl_ioctl_rpc(int fd, uint32_t scope, const void *in, size_t in_len, void *out, size_t out_len,
                           size_t *ret_out_len);

/*
 * The fake kernel. Per ioctl: a control byte (high nibble 0xf: fail with an errno;
 * low 2 bits: which out_len to report), then a 16-bit length and that many reply
 * bytes, copied into the out buffer up to its size.
 */
int __wrap_fwctl_ioctl_rpc(int fd, uint32_t scope, const void *in, size_t in_len, void *out, size_t out_len,
                           size_t *ret_out_len) {
        static const int errnos[] = { EIO, EPERM, EINVAL, ENODEV, EOPNOTSUPP, EMSGSIZE, EBUSY, EFAULT };
        const uint8_t *reply;
        size_t n;
        uint8_t ctl;

        /* The real kernel's own checks (kernel-fwctl.md §2). */
        if (fd < 0 || !ret_out_len)
                return -EINVAL;
        if (in_len > FWCTLD_MAX_RPC_LEN || out_len > FWCTLD_MAX_RPC_LEN)
                return -EMSGSIZE;
        if (scope >= _FWCTLD_SCOPE_MAX)
                return -EOPNOTSUPP;
        if (!in || (out_len > 0 && !out))
                return -EFAULT;

        /* copy_from_user() reads all of in; the driver may write all of out. */
        fuzz_touch(in, in_len);
        if (out_len > 0)
                ((volatile uint8_t *) out)[out_len - 1] = ((volatile uint8_t *) out)[out_len - 1];

        if (!firmware || firmware->n == 0 || ++n_ioctls > FUZZ_MAX_IOCTLS)
                return -EIO;

        ctl = fuzz_u8(firmware);
        if ((ctl & 0xf0) == 0xf0)
                return -errnos[ctl & 7];

        n = fuzz_bytes(firmware, fuzz_u16(firmware), &reply);
        if (n > out_len)
                n = out_len;
        if (n > 0)
                memcpy(out, reply, n);

        switch (ctl & 3) {
        case 0:
                *ret_out_len = n;
                break;
        case 1:
                *ret_out_len = out_len; /* mlx5, bnxt: echoed */
                break;
        case 2:
                *ret_out_len = fuzz_u32(firmware);
                break;
        default:
                *ret_out_len = fuzz_u16(firmware);
                break;
        }
        return 0;
}

FuzzPlugin *fuzz_plugin_get(void) {
        static FuzzPlugin fp;
        static Plugin plugin;
        static Policy *policy;
        const uint32_t *types;
        int r;

        if (fp.device)
                return &fp;

        log_set_max_level(getenv("FUZZ_DEBUG") ? LOG_DEBUG : LOG_EMERG);
        plugin.desc = FWCTLD_PLUGIN_ENTRY();
        r = plugin_descriptor_check(plugin.desc, NULL);
        if (r < 0)
                abort();
        if (policy_new(NULL, NULL, "/nonexistent/fwctld-fuzz-tainted", &policy) < 0)
                abort();
        if (device_new(&(DeviceIdentity) {
                               .syspath = (char *) "/sys/devices/pci0000:00/0000:00:01.0/fwctl/fwctl0",
                               .name = (char *) "fwctl0",
                               .devnode = (char *) "/dev/fwctl/fwctl0",
                               .parent = (char *) "/sys/devices/pci0000:00/0000:00:01.0",
                               .pci_address = (char *) "0000:00:01.0",
                               .driver = (char *) "fuzz_fwctl",
                       }, policy, &fp.device) < 0)
                abort();
        types = plugin.desc->device_types;
        fp.device->type = types && types[0] != FWCTLD_DEVICE_TYPE_END ? types[0] : 0x7fu;
        fp.device->plugin = &plugin;
        fp.device->state = DEVICE_READY;
        /* fwctld_device_rpc() wants an open fd; the fake kernel never uses it. */
        fp.device->fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fp.device->fd < 0)
                abort();
        fp.plugin = plugin.desc;
        return &fp;
}

void fuzz_plugin_attach(FuzzPlugin *fp) {
        if (fp->plugin->attach && fp->plugin->attach(fp->device) >= 0)
                fp->device->attached = true;
}

void fuzz_plugin_detach(FuzzPlugin *fp) {
        if (fp->device->attached && fp->plugin->detach)
                fp->plugin->detach(fp->device);
        fp->device->attached = false;
        if (fp->device->plugin_data) {
                fprintf(stderr, "fuzz: plugin data left behind by detach()\n");
                abort();
        }
}

void fuzz_check_call(const Call *c) {
        if (c->error < 0) {
                if (c->error_reason && !fuzz_utf8_valid(c->error_reason)) {
                        fprintf(stderr, "fuzz: error reason is not UTF-8\n");
                        abort();
                }
                return;
        }
        if (c->kind == CALL_EXECUTE) {
                /* NULL is answered as "{}". */
                if (c->result_json)
                        fuzz_check_json(c->result_json, false);
                return;
        }
        /* The kernel never got an out buffer below what classify() said the driver writes. */
        if (c->n_ioctls > 0 && c->rpc.kout && c->rpc.kout_len < c->cls.kernel_out_min) {
                fprintf(stderr, "fuzz: out buffer of %zu bytes below kernel_out_min %zu\n", c->rpc.kout_len,
                        c->cls.kernel_out_min);
                abort();
        }
        /* Never above the scope asked for; the exact scope when the plugin knows it (a second
         * ioctl, after EPERM there, runs at the authorised one). */
        if (c->n_ioctls > 0 && (c->issued_scope > c->scope ||
                                (c->cls.scope_exact && c->n_ioctls == 1 && c->issued_scope != c->cls.min_scope))) {
                fprintf(stderr, "fuzz: ioctl at scope %u (asked %u, min %u)\n", c->issued_scope, c->scope,
                        c->cls.min_scope);
                abort();
        }
        /* What the bus layer sends. */
        if (c->rpc.response_size > c->max_response) {
                fprintf(stderr, "fuzz: response of %zu bytes above max_response %zu\n", c->rpc.response_size,
                        c->max_response);
                abort();
        }
        fuzz_touch(c->rpc.response, c->rpc.response_size);
        if (c->rpc.status_name && !fuzz_utf8_valid(c->rpc.status_name)) {
                fprintf(stderr, "fuzz: status name is not UTF-8\n");
                abort();
        }
}
