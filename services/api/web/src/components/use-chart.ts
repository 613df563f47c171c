import { useEffect, useRef } from 'preact/hooks';
import { type EChartsOption, type EChartsType, echarts } from '../echarts-global.js';

/** An ECharts instance on a div: created once, given `option` whenever it changes, resized with the page. */
export function useChart(option: EChartsOption, onReady?: (chart: EChartsType) => void) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<EChartsType | null>(null);
  useEffect(() => {
    if (!ref.current) return;
    const instance = echarts.init(ref.current, undefined, { renderer: 'canvas' });
    chart.current = instance;
    onReady?.(instance);
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(ref.current);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true });
  }, [option]);
  return ref;
}
