import type * as ECharts from 'echarts';

/**
 * ECharts' browser build, loaded by the page shell from our origin (`/app/assets/echarts.min.js`)
 * and shared by every chart, rather than bundled a second time into the client.
 */
export const echarts = (globalThis as unknown as { echarts: typeof ECharts }).echarts;
export type EChartsOption = ECharts.EChartsOption;
export type EChartsType = ECharts.EChartsType;
