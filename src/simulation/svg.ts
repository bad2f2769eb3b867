/** The simulation figures' chart writer: the shared one in src/core/svgChart.ts. */
export { escapeXml, lineChart, niceTicks } from '../core/svgChart';
