// nac's HLS templates: BraggNN's non-local attention block, channels last, io_parallel. For n_pos
// positions of n_chan channels: theta, phi and g are dense layers (n_chan -> n_hidden) at every
// position; scores s[i][j] = sum_k theta[i][k] phi[j][k] (times `scale` when scaled) in score_t;
// a[i] = the stable softmax of s[i] over j; y[i][k] = sum_j a[i][j] g[j][k]; out is a dense layer
// (n_hidden -> n_chan) at every position, added to the input when `residual`.
#ifndef NAC_NNET_ATTENTION_H
#define NAC_NNET_ATTENTION_H

#include "nnet_activation.h"
#include "nnet_common.h"
#include "nnet_dense.h"

namespace nnet {

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
               const typename CONFIG_T::internal_t scale) {
  typedef typename CONFIG_T::internal_t int_t;
  int_t theta[CONFIG_T::n_pos][CONFIG_T::n_hidden], phi[CONFIG_T::n_pos][CONFIG_T::n_hidden];
  int_t g[CONFIG_T::n_pos][CONFIG_T::n_hidden], y[CONFIG_T::n_pos][CONFIG_T::n_hidden];
  for (unsigned i = 0; i < CONFIG_T::n_pos; i++) {
    dense<data_T, int_t, typename CONFIG_T::theta_config>(&data[i * CONFIG_T::n_chan], theta[i], w_theta, b_theta);
    dense<data_T, int_t, typename CONFIG_T::phi_config>(&data[i * CONFIG_T::n_chan], phi[i], w_phi, b_phi);
    dense<data_T, int_t, typename CONFIG_T::g_config>(&data[i * CONFIG_T::n_chan], g[i], w_g, b_g);
  }
  for (unsigned i = 0; i < CONFIG_T::n_pos; i++) {
    int_t s[CONFIG_T::n_pos], a[CONFIG_T::n_pos];
    for (unsigned j = 0; j < CONFIG_T::n_pos; j++) {
      typename CONFIG_T::score_accum_t acc = 0;
      for (unsigned k = 0; k < CONFIG_T::n_hidden; k++) acc += theta[i][k] * phi[j][k];
      s[j] = CONFIG_T::scaled ? (int_t)(acc * scale) : (int_t)acc;
    }
    softmax_stable<int_t, int_t, typename CONFIG_T::softmax_config>(s, a, exp_table, inv_table);
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
