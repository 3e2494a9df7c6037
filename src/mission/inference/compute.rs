//! What a request costs the on-board computer.
//!
//! A transformer's forward pass does about 2 FLOPs per parameter per token. **Prefill**
//! (reading the prompt) processes all prompt tokens in one pass, so it is bound by compute:
//! `2·N·P / C_eff` with C_eff the accelerator's effective throughput (peak × efficiency),
//! but never faster than one read of the weights. **Decode** produces one token per pass,
//! and every pass reads all weights from memory, so it is bound by memory bandwidth:
//! a step takes `W / B_eff` (W weight bytes, B_eff effective bandwidth). A batch of k
//! requests decodes together, one token each per step, at the same memory cost, until
//! compute binds: the step time is `max(W / B_eff, 2·N·k / C_eff)`. For an 8-billion-parameter
//! model at 4–5 bits on a Jetson AGX Orin at 5 % of its peak the crossover is near k ≈ 34,
//! so batching multiplies throughput almost for free up to there while each request
//! still sees ~25 tokens/s (docs/FACTS.md).
//!
//! The service time of a request is fixed when it starts, from the batch it joins
//! (requests already running plus itself); later arrivals do not slow it down. With the
//! memory-bound step independent of k this is exact for realistic batch sizes. KV-cache
//! traffic, which grows with the context, is left out: at a few thousand tokens it adds a
//! few percent to the weight reads.

/// The model as the accelerator sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelCompute {
    /// Parameter count N.
    pub parameters: f64,
    /// Bytes of weights read per decode step W (parameters × bytes per weight).
    pub weight_bytes: f64,
}

/// An on-board accelerator, validated (see `[inference.accelerator]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Accelerator {
    /// Label.
    pub name: String,
    /// Peak operations per second (TOPS × 10¹²).
    pub peak_ops_per_s: f64,
    /// Share of the peak reached in prefill.
    pub compute_efficiency: f64,
    /// Memory bandwidth, bytes/s.
    pub memory_bandwidth_bytes_per_s: f64,
    /// Share of the bandwidth reached in decode.
    pub bandwidth_efficiency: f64,
    /// Memory, bytes.
    pub memory_bytes: u64,
    /// Draw while computing, W.
    pub power_w: f64,
    /// Draw while idle with the model loaded, W.
    pub idle_power_w: f64,
    /// Requests decoded together.
    pub max_batch: u32,
    /// Requests allowed to wait.
    pub queue_limit: u32,
}

impl Accelerator {
    /// Effective operations per second in prefill.
    pub fn effective_ops_per_s(&self) -> f64 {
        self.peak_ops_per_s * self.compute_efficiency
    }

    /// Effective bytes per second in decode.
    pub fn effective_bandwidth(&self) -> f64 {
        self.memory_bandwidth_bytes_per_s * self.bandwidth_efficiency
    }

    /// Seconds to read `prompt` tokens: compute-bound, but at least one pass over the weights.
    pub fn prefill_s(&self, model: &ModelCompute, prompt: u32) -> f64 {
        let compute = 2.0 * model.parameters * prompt as f64 / self.effective_ops_per_s();
        compute.max(model.weight_bytes / self.effective_bandwidth())
    }

    /// Seconds per decode step with `batch` requests in the batch.
    pub fn decode_step_s(&self, model: &ModelCompute, batch: u32) -> f64 {
        let memory = model.weight_bytes / self.effective_bandwidth();
        let compute = 2.0 * model.parameters * batch.max(1) as f64 / self.effective_ops_per_s();
        memory.max(compute)
    }

    /// Tokens per second one request sees while decoding in a batch of `batch`.
    pub fn decode_tokens_per_s(&self, model: &ModelCompute, batch: u32) -> f64 {
        1.0 / self.decode_step_s(model, batch)
    }

    /// Service time of a request at full speed: prefill plus one step per output token,
    /// in whole nanoseconds (rounded up).
    pub fn service_ns(&self, model: &ModelCompute, prompt: u32, output: u32, batch: u32) -> i64 {
        let s = self.prefill_s(model, prompt) + output as f64 * self.decode_step_s(model, batch);
        (s * 1e9).ceil() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Jetson AGX Orin 64 GB and Qwen3-8B Q4_K_M: docs/FACTS.md quotes about 25 tokens/s measured.
    #[test]
    fn orin_decodes_qwen3_8b_at_about_25_tokens_per_second() {
        let orin = Accelerator {
            name: "orin".into(),
            peak_ops_per_s: 275e12,
            compute_efficiency: 0.05,
            memory_bandwidth_bytes_per_s: 204.8e9,
            bandwidth_efficiency: 0.6,
            memory_bytes: 64_000_000_000,
            power_w: 60.0,
            idle_power_w: 10.0,
            max_batch: 4,
            queue_limit: 8,
        };
        let qwen = ModelCompute { parameters: 8.19e9, weight_bytes: 5_027_783_488.0 };
        let tps = orin.decode_tokens_per_s(&qwen, 1);
        assert!((tps - 24.4).abs() < 0.5, "{tps}");
        // Memory-bound up to batches of about 34, compute-bound beyond.
        assert_eq!(orin.decode_step_s(&qwen, 1), orin.decode_step_s(&qwen, 32));
        assert!(orin.decode_step_s(&qwen, 40) > orin.decode_step_s(&qwen, 1));
        // 500 prompt tokens: 8.19 TFLOP at 13.75 TOPS effective, about 0.6 s.
        let prefill = orin.prefill_s(&qwen, 500);
        assert!((prefill - 0.596).abs() < 0.01, "{prefill}");
        let service = orin.service_ns(&qwen, 500, 300, 1) as f64 / 1e9;
        assert!((service - (prefill + 300.0 / tps)).abs() < 1e-6);
    }
}
