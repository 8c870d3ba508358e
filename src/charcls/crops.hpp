// Internal: line-frame character crops (pure OpenCV).
#pragma once

#include <vector>

#include <opencv2/core/mat.hpp>

#include "assemble/layout.hpp"

namespace ocr2s::charcls {

/// Converts any supported input to 8-bit gray: 8-bit as is; 16-bit stretched from
/// its own min..max (industrial cameras put 10/12-bit data in 16-bit containers);
/// 32-bit float taken as [0, 1] and clamped; 1, 3 (BGR) or 4 (BGRA) channels.
/// Throws InputError for an empty image or any other type.
cv::Mat to_gray8(const cv::Mat& image);

/// Samples each CropBox from an 8-bit gray image into a `size` crop, upright in the
/// line frame (bilinear, border replicated; boxes much larger than the crop are
/// sampled at up to 4× and area-averaged down, so small crops do not alias).
/// Returns CV_8UC1 crops: what the crop export writes to disk.
std::vector<cv::Mat> extract_crops_u8(const cv::Mat& gray8,
                                      const std::vector<assemble::CropBox>& boxes, cv::Size size);

/// The classifier's input normalisation of one 8-bit crop: CV_32FC1, zero mean and
/// unit standard deviation over the crop, the deviation floored at 4/255 so a flat
/// crop stays flat instead of amplifying noise. Polarity is kept (training
/// augments it).
cv::Mat normalize_crop(const cv::Mat& crop_u8);

/// extract_crops_u8 followed by normalize_crop: the classifier's input.
std::vector<cv::Mat> extract_crops(const cv::Mat& gray8, const std::vector<assemble::CropBox>& boxes,
                                   cv::Size size);

}  // namespace ocr2s::charcls
