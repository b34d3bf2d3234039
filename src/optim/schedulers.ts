/**
 * Learning-rate schedulers (torch.optim.lr_scheduler): each sets every group's lr on `step()`;
 * schedulers stepped together chain as torch's do; `SequentialLR` switches between schedulers at
 * milestones (warm-up, then decay); `ReduceLROnPlateau` reacts to a metric.
 *
 * @example
 * const warmup = new optim.lrScheduler.LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 * const decay = new optim.lrScheduler.CosineAnnealingLR(opt, { TMax: 95 });
 * const sched = new optim.lrScheduler.SequentialLR(opt, { schedulers: [warmup, decay], milestones: [5] });
 * @module lrScheduler
 */
export * from './lr_scheduler.js';
export * from './lr_scheduler_more.js';
