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

/// The same mining with binary cross-entropy on logits (soft targets): same
/// minimiser as the MSE (prediction = target), but the gradient with respect to
/// the logit is σ(z) − t, where MSE through the sigmoid has 2 (σ − t) σ (1 − σ),
/// which vanishes exactly on the confidently wrong pixels that the mining selects.
torch::Tensor ohem_bce_loss(const torch::Tensor& logits, const torch::Tensor& target,
                            double neg_ratio = 3.0, std::int64_t min_negatives = 500,
                            double positive_threshold = 0.1);

/// Mining on any per-pixel loss [N, 2, h, w] (the two functions above use it).
torch::Tensor ohem_reduce(const torch::Tensor& pixel_loss, const torch::Tensor& target,
                          double neg_ratio, std::int64_t min_negatives, double positive_threshold);

}  // namespace ocr2s::train
