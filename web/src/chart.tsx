import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  /** A class-free colour: uPlot draws on a canvas. */
  stroke: string;
  values: number[];
  bars?: boolean;
}

/**
 * A uPlot chart sized to its container. The numbers are also in a table beside it (for
 * screen readers and for people who want the figures).
 */
export function Chart(props: {
  times: number[];
  series: ChartSeries[];
  label: string;
  height?: number;
  formatTime: (ms: number) => string;
  /** Tick steps in seconds the x axis may use (uPlot picks the first that fits). */
  steps: number[];
  testId?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const bars = uPlot.paths.bars?.({ size: [0.8, 48] });
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 280),
      height: props.height ?? 240,
      series: [
        { value: (_u, ms) => (ms === null ? '' : props.formatTime(ms * 1000)) },
        ...props.series.map((series) => ({
          label: series.label,
          stroke: series.stroke,
          width: series.bars ? 0 : 2,
          fill: series.bars ? series.stroke : undefined,
          paths: series.bars ? bars : undefined,
          points: { show: false },
        })),
      ],
      axes: [
        {
          space: 110,
          incrs: props.steps,
          values: (_u, splits) => splits.map((s) => props.formatTime(s * 1000)),
        },
        { size: 48 },
      ],
      // The totals above each chart name the series; uPlot's own legend would repeat them.
      legend: { show: false },
      scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      cursor: { drag: { x: false, y: false } },
    };
    const data: uPlot.AlignedData = [
      props.times.map((ms) => ms / 1000),
      ...props.series.map((series) => series.values),
    ];
    const plot = new uPlot(options, data, element);
    const observer = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(element.clientWidth, 280), height: options.height }),
    );
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [props.times, props.series]);
  return (
    <div class="chart" ref={box} role="img" aria-label={props.label} data-testid={props.testId} />
  );
}
