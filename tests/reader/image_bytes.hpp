// Image files assembled byte by byte, for formats OpenCV cannot write.
#pragma once

#include <cstdint>
#include <vector>

namespace ocr2s_test {

/// A baseline JPEG (ITU T.81) of one 8 × 8 block per component, four components
/// (C, M, Y, K, sampling 1×1, no Adobe APP14 marker, so decoders take the samples
/// as CMYK), each component a flat block of the given sample value.
///
/// Structure: SOI; DQT (table 0, every entry 8); SOF0 (8-bit, 8 × 8, components
/// 1–4, 1×1, table 0); DHT DC table 0 (twelve 4-bit codes 0000…1011 for
/// categories 0–11); DHT AC table 0 (one 1-bit code "0" = EOB); SOS (all four
/// components, tables 0/0, Ss 0, Se 63); the entropy-coded MCU; EOI.
/// A flat block of sample p has the DCT DC coefficient 8·(p − 128), quantised by 8
/// to p − 128, so decoding gives p back exactly. Per component the MCU codes that
/// DC difference (category code, then the category's bits, negative values as
/// value + 2^category − 1, T.81 §F.1.2.1) and an EOB; the last byte is padded
/// with 1-bits and 0xFF bytes are stuffed with 0x00.
inline std::vector<unsigned char> cmyk_jpeg(const int (&cmyk)[4]) {
  std::vector<unsigned char> j = {0xFF, 0xD8};
  const auto segment = [&](unsigned char marker, const std::vector<unsigned char>& payload) {
    const std::size_t len = payload.size() + 2;
    j.insert(j.end(), {0xFF, marker, static_cast<unsigned char>(len >> 8), static_cast<unsigned char>(len & 0xFF)});
    j.insert(j.end(), payload.begin(), payload.end());
  };
  std::vector<unsigned char> dqt(65, 8);
  dqt[0] = 0x00;  // 8-bit precision, table 0
  segment(0xDB, dqt);
  segment(0xC0, {8, 0, 8, 0, 8, 4, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0});
  std::vector<unsigned char> dc = {0x00, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  for (unsigned char s = 0; s < 12; ++s) dc.push_back(s);
  segment(0xC4, dc);
  segment(0xC4, {0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00});
  segment(0xDA, {4, 1, 0x00, 2, 0x00, 3, 0x00, 4, 0x00, 0, 63, 0});

  unsigned acc = 0;
  int filled = 0;
  const auto put = [&](unsigned bits, int len) {
    for (int i = len - 1; i >= 0; --i) {
      acc = (acc << 1) | ((bits >> i) & 1u);
      if (++filled == 8) {
        j.push_back(static_cast<unsigned char>(acc & 0xFF));
        if ((acc & 0xFF) == 0xFF) j.push_back(0x00);
        acc = 0;
        filled = 0;
      }
    }
  };
  for (int v : cmyk) {
    const int diff = v - 128;
    const int magnitude = diff < 0 ? -diff : diff;
    int category = 0;
    while ((magnitude >> category) != 0) ++category;
    put(static_cast<unsigned>(category), 4);
    if (category > 0) {
      put(static_cast<unsigned>(diff < 0 ? diff + (1 << category) - 1 : diff), category);
    }
    put(0, 1);  // EOB
  }
  while (filled != 0) put(1, 1);
  j.insert(j.end(), {0xFF, 0xD9});
  return j;
}

}  // namespace ocr2s_test
