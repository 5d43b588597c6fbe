// nac's HLS templates: BraggNN's non-local attention block, channels last, io_parallel. For n_pos
// positions of n_chan channels: theta, phi and g are dense layers (n_chan -> n_hidden) at every
// position; scores s[i][j] = sum_k theta[i][k] phi[j][k] (times `scale` when scaled), exact in
// score_t; a[i] = attention_softmax of s[i] over j; y[i][k] = sum_j a[i][j] g[j][k]; out is a
// dense layer (n_hidden -> n_chan) at every position, added to the input when `residual`.
#ifndef NAC_NNET_ATTENTION_H
#define NAC_NNET_ATTENTION_H

#include "nnet_activation.h"
#include "nnet_common.h"
#include "nnet_dense.h"

namespace nnet {

// The block's softmax of exact scores: d = norm_t(max - s) (steps of 1/64 up to 16, saturating);
// e = exp_table[d]; S = the exact sum of the e; p = S's top set bit, q = p - 16; 1/S from
// inv_table by the 10 bits of S below and at p, times 2^-q (unscale[q]); a = weight_t(e / S).
template <class score_T, typename CONFIG_T>
void attention_softmax(const score_T s[CONFIG_T::n_in], typename CONFIG_T::weight_t a[CONFIG_T::n_in],
                       const typename CONFIG_T::exp_table_t exp_table[CONFIG_T::exp_table_size],
                       const typename CONFIG_T::inv_table_t inv_table[CONFIG_T::inv_table_size],
                       const typename CONFIG_T::unscale_t unscale[CONFIG_T::max_shift + 1]) {
  typedef typename CONFIG_T::norm_t norm_t;
  typedef typename CONFIG_T::accum_t accum_t;
  score_T x_max = s[0];
  for (unsigned i = 1; i < CONFIG_T::n_in; i++)
    if (s[i] > x_max) x_max = s[i];
  typename CONFIG_T::exp_table_t e[CONFIG_T::n_in];
  accum_t sum = 0;
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
    const norm_t d = x_max - s[i];
    e[i] = exp_table[d.range(norm_t::width - 1, 0).to_uint()];
    sum += e[i];
  }
  const unsigned v = sum.range(accum_t::width - 1, 0).to_uint();
  unsigned p = 0;
  for (unsigned b = 1; b < accum_t::width; b++)
    if ((v >> b) != 0) p = b;
  const unsigned q = p > 16 ? p - 16 : 0;
  const unsigned m = v >> (q + 7);
  const typename CONFIG_T::inv_table_t inv = inv_table[m > 512 ? m - 512 : 0];
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) a[i] = (typename CONFIG_T::weight_t)(e[i] * inv * unscale[q]);
}

template <class data_T, class res_T, typename CONFIG_T>
void attention(data_T data[CONFIG_T::n_pos * CONFIG_T::n_chan], res_T res[CONFIG_T::n_pos * CONFIG_T::n_chan],
               const typename CONFIG_T::theta_config::weight_t w_theta[CONFIG_T::n_chan * CONFIG_T::n_hidden],
               const typename CONFIG_T::theta_config::bias_t b_theta[CONFIG_T::n_hidden],
               const typename CONFIG_T::phi_config::weight_t w_phi[CONFIG_T::n_chan * CONFIG_T::n_hidden],
               const typename CONFIG_T::phi_config::bias_t b_phi[CONFIG_T::n_hidden],
               const typename CONFIG_T::g_config::weight_t w_g[CONFIG_T::n_chan * CONFIG_T::n_hidden],
               const typename CONFIG_T::g_config::bias_t b_g[CONFIG_T::n_hidden],
               const typename CONFIG_T::out_config::weight_t w_out[CONFIG_T::n_hidden * CONFIG_T::n_chan],
               const typename CONFIG_T::out_config::bias_t b_out[CONFIG_T::n_chan],
               const typename CONFIG_T::softmax_config::exp_table_t exp_table[CONFIG_T::softmax_config::exp_table_size],
               const typename CONFIG_T::softmax_config::inv_table_t inv_table[CONFIG_T::softmax_config::inv_table_size],
               const typename CONFIG_T::softmax_config::unscale_t unscale[CONFIG_T::softmax_config::max_shift + 1],
               const typename CONFIG_T::internal_t scale) {
  typedef typename CONFIG_T::softmax_config soft_config;
  typedef typename CONFIG_T::internal_t int_t;
  int_t theta[CONFIG_T::n_pos][CONFIG_T::n_hidden], phi[CONFIG_T::n_pos][CONFIG_T::n_hidden];
  int_t g[CONFIG_T::n_pos][CONFIG_T::n_hidden], y[CONFIG_T::n_pos][CONFIG_T::n_hidden];
  for (unsigned i = 0; i < CONFIG_T::n_pos; i++) {
    dense<data_T, int_t, typename CONFIG_T::theta_config>(&data[i * CONFIG_T::n_chan], theta[i], w_theta, b_theta);
    dense<data_T, int_t, typename CONFIG_T::phi_config>(&data[i * CONFIG_T::n_chan], phi[i], w_phi, b_phi);
    dense<data_T, int_t, typename CONFIG_T::g_config>(&data[i * CONFIG_T::n_chan], g[i], w_g, b_g);
  }
  for (unsigned i = 0; i < CONFIG_T::n_pos; i++) {
    typename CONFIG_T::score_t s[CONFIG_T::n_pos];
    typename soft_config::weight_t a[CONFIG_T::n_pos];
    for (unsigned j = 0; j < CONFIG_T::n_pos; j++) {
      typename CONFIG_T::score_accum_t acc = 0;
      for (unsigned k = 0; k < CONFIG_T::n_hidden; k++) acc += theta[i][k] * phi[j][k];
      s[j] = CONFIG_T::scaled ? (typename CONFIG_T::score_t)(acc * scale) : (typename CONFIG_T::score_t)acc;
    }
    attention_softmax<typename CONFIG_T::score_t, soft_config>(s, a, exp_table, inv_table, unscale);
    for (unsigned k = 0; k < CONFIG_T::n_hidden; k++) {
      typename CONFIG_T::mix_accum_t acc = 0;
      for (unsigned j = 0; j < CONFIG_T::n_pos; j++) acc += a[j] * g[j][k];
      y[i][k] = (int_t)acc;
    }
  }
  for (unsigned i = 0; i < CONFIG_T::n_pos; i++) {
    int_t o[CONFIG_T::n_chan];
    dense<int_t, int_t, typename CONFIG_T::out_config>(y[i], o, w_out, b_out);
    for (unsigned c = 0; c < CONFIG_T::n_chan; c++)
      res[i * CONFIG_T::n_chan + c] =
          CONFIG_T::residual ? (res_T)(o[c] + data[i * CONFIG_T::n_chan + c]) : (res_T)o[c];
  }
}

}  // namespace nnet

#endif
