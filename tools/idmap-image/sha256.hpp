// sha256.hpp - SHA-256 (FIPS 180-4, section 6.2) of a byte string, for the measurement
// of a table image: no library needed, the digest of the same bytes everywhere.
#ifndef IDMAP_IMAGE_SHA256_HPP
#define IDMAP_IMAGE_SHA256_HPP

#include <stddef.h>
#include <stdint.h>

#include <array>
#include <string>

namespace idmap_image {

using Sha256Digest = std::array<uint8_t, 32>;

// The digest of the len bytes at data.
Sha256Digest sha256(const uint8_t* data, size_t len);

// The digest as 64 lowercase hex digits, as sha256sum prints it.
std::string to_hex(const Sha256Digest& digest);

}  // namespace idmap_image

#endif
