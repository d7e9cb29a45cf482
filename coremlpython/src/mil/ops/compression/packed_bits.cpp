// opencoreml ML program compression ops: unpacking LSB-first bit fields (see packed_bits.hpp).
#include "mil/ops/compression/packed_bits.hpp"

namespace opencoreml::mil::compression {

bool unpack_bits(const uint8_t* bytes, int64_t nbytes, int nbits, int64_t count, std::vector<uint8_t>& out) {
    if (nbits < 1 || nbits > 8 || (count * nbits + 7) / 8 > nbytes) return false;
    out.resize(static_cast<size_t>(count));
    if (nbits == 8) {
        for (int64_t i = 0; i < count; ++i) out[i] = bytes[i];
        return true;
    }
    const unsigned mask = (1u << nbits) - 1u;
    int64_t bit = 0;
    for (int64_t i = 0; i < count; ++i, bit += nbits) {
        const int64_t byte = bit >> 3;
        const unsigned shift = static_cast<unsigned>(bit & 7);
        // Two bytes cover any field of up to 8 bits starting anywhere in the first.
        unsigned window = bytes[byte];
        if (shift + nbits > 8) window |= static_cast<unsigned>(bytes[byte + 1]) << 8;
        out[i] = static_cast<uint8_t>((window >> shift) & mask);
    }
    return true;
}

}  // namespace opencoreml::mil::compression
