/**
 * A simplified outline of Liaoning province (GeoJSON, RFC 7946, WGS 84 longitude/latitude), for
 * display only: a few dozen hand-placed points along the coast from the Yalu mouth at Dandong round
 * the Liaodong peninsula by Dalian and up the Bohai shore by Yingkou, Panjin, Jinzhou and Huludao
 * to Shanhaiguan, then inland along the Hebei, Inner Mongolia and Jilin borders and down the Yalu.
 * It is a backdrop for routes, shipped with the project so that no map tiles are fetched; it is
 * no survey and no statement about any boundary.
 */
export const LIAONING_OUTLINE = {
  type: 'FeatureCollection',
  features: [
    {
      type: 'Feature',
      properties: { name: 'Liaoning' },
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [124.36, 39.83], // Yalu mouth, Dandong
            [123.95, 39.8], // Donggang
            [123.4, 39.7],
            [122.95, 39.55], // Zhuanghe
            [122.45, 39.35], // Pikou
            [122.1, 39.1],
            [121.75, 38.95], // Dalian
            [121.3, 38.78], // Lüshunkou
            [121.15, 38.73],
            [121.25, 38.95],
            [121.5, 39.3], // Jinzhou district
            [121.35, 39.55], // Wafangdian coast
            [121.6, 39.85],
            [122.0, 40.1], // Bayuquan
            [122.2, 40.45], // Yingkou
            [122.05, 40.75], // Liao river mouth
            [121.75, 40.9], // Panjin coast
            [121.35, 40.85],
            [121.0, 40.75], // Jinzhou
            [120.8, 40.55], // Huludao
            [120.5, 40.3], // Xingcheng
            [120.15, 40.1], // Suizhong
            [119.85, 40.05], // Shanhaiguan, the Hebei border
            [119.65, 40.35],
            [119.55, 40.65],
            [119.2, 40.95], // Jianchang
            [118.85, 41.3], // Lingyuan, westmost
            [119.2, 41.6],
            [119.45, 42.0], // Jianping, the Inner Mongolia border
            [119.9, 42.25],
            [120.55, 42.45],
            [121.2, 42.55], // north of Fuxin
            [121.85, 42.7],
            [122.4, 42.6], // Zhangwu
            [122.9, 42.75],
            [123.4, 43.0], // Kangping
            [123.7, 43.3],
            [124.2, 43.45], // Changtu, northmost: the Jilin border
            [124.5, 43.1],
            [124.75, 42.8], // Xifeng
            [125.1, 42.5],
            [125.3, 42.2], // Qingyuan
            [125.6, 41.9],
            [125.75, 41.5],
            [125.65, 41.15],
            [125.75, 40.9], // Kuandian, on the Yalu
            [125.3, 40.6],
            [124.9, 40.45],
            [124.6, 40.2],
            [124.36, 39.83],
          ],
        ],
      },
    },
  ],
} as const;
