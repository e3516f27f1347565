/* SHA-256 (FIPS 180-4), used once per plan load to check the payload's digest. */
#pragma once
#include <stddef.h>
#include <stdint.h>

void wt_sha256(const uint8_t* data, size_t len, uint8_t digest[32]);
