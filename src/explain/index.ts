/**
 * Attributions for any model, with Captum's semantics and defaults: gradient methods (saliency,
 * input x gradient, integrated gradients, gradient SHAP, noise tunnel), perturbation (occlusion,
 * feature ablation), Grad-CAM on a layer, and pictures (PNG heat maps, an HTML report).
 *
 * @example
 * const { attributions, delta } = explain.integratedGradients(model, x, { target: 3, returnConvergenceDelta: true });
 * fs.writeFileSync('ig.png', explain.heatmap(attributions.select(0, 0), { image: x.select(0, 0) }));
 * @module explain
 */
export {
  saliency,
  inputXGradient,
  integratedGradients,
  integrationRule,
  noiseTunnel,
  gradientShap,
  occlusion,
  featureAblation,
  type ForwardFn,
  type Target,
  type TargetOptions,
  type SaliencyOptions,
  type IntegrationMethod,
  type IntegratedGradientsOptions,
  type NoiseTunnelType,
  type NoiseTunnelOptions,
  type AttributionMethod,
  type GradientShapOptions,
  type OcclusionOptions,
  type FeatureAblationOptions,
} from './attribution.js';
export { layerGradCam, type LayerGradCamOptions } from './layer.js';
export {
  heatmap,
  imagePng,
  barChart,
  report,
  normalizeAttribution,
  type AttributionSign,
  type Colormap,
  type HeatmapOptions,
  type ReportItem,
} from './visualize.js';
