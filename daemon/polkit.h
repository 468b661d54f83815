/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "types.h"

/* Asynchronous CheckAuthorization for c's scope; answers via call_authorization_done(). */
int polkit_check_async(Call *c);
/* Drop a pending check (caller or device gone); tells polkitd for interactive ones. */
void polkit_cancel(Call *c);
