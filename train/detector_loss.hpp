// Detector loss (includes Torch; used by detector_train.cpp and the tests).
#pragma once

#include <torch/torch.h>

namespace ocr2s::train {

/// CRAFT's score-map loss (Baek et al., CVPR 2019, §3.2; online hard-negative
/// mining after Shrivastava et al., CVPR 2016): per sample and per map, the mean
/// squared error over all positive pixels (target > positive_threshold) plus the
/// mean over the k hardest negative pixels, k = neg_ratio × positives, at least
/// min_negatives (all negatives when there are fewer). Averaged over samples and
/// the two maps. pred and target: [N, 2, h, w] in [0, 1].
torch::Tensor ohem_mse_loss(const torch::Tensor& pred, const torch::Tensor& target,
                            double neg_ratio = 3.0, std::int64_t min_negatives = 500,
                            double positive_threshold = 0.1);

}  // namespace ocr2s::train
