// opencoreml ML program compression ops: the iOS16 constexpr ops keep palette indices and
// sparsity masks packed in bytes, least significant bit first (a field split across bytes
// continues in the low bits of the next byte). This unpacks them to one value per element.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace opencoreml::mil::compression {

// The first `count` fields of `nbits` (1..8) bits from `bytes` (`nbytes` long); false when the
// bytes are too few.
bool unpack_bits(const uint8_t* bytes, int64_t nbytes, int nbits, int64_t count, std::vector<uint8_t>& out);

}  // namespace opencoreml::mil::compression
