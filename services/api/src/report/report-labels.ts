import type { ExcursionRule, Severity } from '@coldchain/coldchain';

/*
 * Every word a rendered report shows, in each language it is read in: one table, so that the CSV, the HTML
 * page and the PDF say the same thing in the same words. Values and names from the record (holders, places,
 * notes) are shown as recorded, untranslated.
 */

export const REPORT_LANGS = ['zh-CN', 'en'] as const;
export type ReportLang = (typeof REPORT_LANGS)[number];
/** Chinese first: the consignees and inspectors who must accept the record read it in Chinese. */
export const DEFAULT_REPORT_LANG: ReportLang = 'zh-CN';
export const DEFAULT_REPORT_TIME_ZONE = 'Asia/Shanghai';

type ShipmentStatus = 'planned' | 'in_transit' | 'delivered' | 'closed' | 'cancelled';
type AlertStatus = 'open' | 'acknowledged' | 'resolved';
type GapKind = 'start' | 'between' | 'end' | 'whole';
type VerdictStatus = 'pass' | 'fail' | 'pending';

export interface ReportLabels {
  title: string;
  generatedAt: string;
  /** Says which zone the times are in, and that UTC follows each. */
  timesIn: (timeZone: string) => string;
  page: (n: number, of: number) => string;
  yes: string;
  no: string;
  open: string;
  section: {
    verdict: string;
    shipment: string;
    profile: string;
    boundaries: string;
    sensors: string;
    boundaryTimes: string;
    judged: string;
    judgedLegs: string;
    excursions: string;
    earlyWarnings: string;
    otherAlerts: string;
    custody: string;
    unloading: string;
    completeness: string;
    completenessLegs: string;
    gaps: string;
    chart: string;
    integrity: string;
  };
  shipment: {
    id: string;
    reference: string;
    goods: string;
    shipper: string;
    consignee: string;
    origin: string;
    destination: string;
    status: string;
    plannedDeparture: string;
    plannedArrival: string;
    actualDeparture: string;
    actualArrival: string;
    periodFrom: string;
    periodTo: string;
  };
  shipmentStatus: Record<ShipmentStatus, string>;
  profile: {
    id: string;
    name: string;
    source: string;
    rangeLow: string;
    rangeHigh: string;
    targetLow: string;
    targetHigh: string;
    recordingInterval: string;
    /** Said next to the interval when the profile sets none and the maximum gap stands in for it. */
    recordingIntervalDefaulted: string;
    cumulativeBudget: string;
    mktLimit: string;
    maxGap: string;
    settle: string;
    hysteresis: string;
    doorOpenMax: string;
    earlyWarningAirDelay: string;
    earlyWarningTrend: string;
    humidityLow: string;
    humidityHigh: string;
    unbounded: string;
  };
  boundary: {
    id: string;
    direction: string;
    severity: string;
    limit: string;
    delay: string;
    budget: string;
    timeAbove: string;
    timeBelow: string;
    timeBeyond: string;
  };
  direction: Record<'upper' | 'lower', string>;
  severity: Record<Severity, string>;
  sensorName: (sensor: string) => string;
  stats: {
    sensor: string;
    judged: string;
    samples: string;
    min: string;
    minAt: string;
    max: string;
    maxAt: string;
    mean: string;
    mkt: string;
    period: string;
    inRange: string;
    outsideRange: string;
    withoutData: string;
    inTarget: string;
    budget: string;
    budgetUsed: string;
    budgetRemaining: string;
    overBudget: string;
    leg: string;
    from: string;
    to: string;
    legEnded: string;
    verdict: string;
  };
  excursion: {
    rule: string;
    severity: string;
    boundary: string;
    limit: string;
    start: string;
    end: string;
    duration: string;
    peak: string;
    peakAt: string;
    failing: string;
    leg: string;
    holder: string;
    device: string;
    alert: string;
    alertStatus: string;
    acknowledgedBy: string;
    acknowledgedAt: string;
    acknowledgementNote: string;
    resolvedBy: string;
    resolvedAt: string;
    resolutionNote: string;
    noAlert: string;
    none: string;
  };
  rule: Record<ExcursionRule, string>;
  earlyWarning: {
    /** What an early warning is, said above the table. */
    note: string;
    limit: string;
    airPeak: string;
    projectedBreach: string;
    /** The product's trend did not head for the limit. */
    noProjection: string;
    none: string;
  };
  alertStatus: Record<AlertStatus, string>;
  custody: {
    leg: string;
    holder: string;
    device: string;
    from: string;
    to: string;
    handedOverBy: string;
    handoverTemp: string;
    place: string;
    note: string;
    at: string;
    endedBy: string;
    endTemp: string;
    receipt: string;
    decision: Record<'accepted' | 'rejected', string>;
    receivedBy: string;
    arrivalTemp: string;
    reason: string;
    none: string;
  };
  completeness: {
    recordingInterval: string;
    expected: string;
    received: string;
    ratio: string;
    settleReadings: string;
    duplicates: string;
    timeInGaps: string;
    gapCount: string;
    kind: string;
    start: string;
    end: string;
    duration: string;
    missing: string;
    noGaps: string;
  };
  gapKind: Record<GapKind, string>;
  verdict: {
    status: string;
    reasons: string;
    effect: string;
    noReasons: string;
  };
  verdictStatus: Record<VerdictStatus, string>;
  reasonEffect: Record<'fail' | 'pending', string>;
  reason: {
    excursion: (rule: string, start: string, holder: string) => string;
    mkt: (mkt: string, limit: string, leg: number | null) => string;
    budget: (used: string, budget: string) => string;
    noCustody: string;
    legOpen: (leg: number | null) => string;
    notDelivered: string;
    dataMayArrive: string;
  };
  integrity: {
    canonicalForm: string;
    algorithm: string;
    lineCount: string;
    digest: string;
    signedDigest: string;
    signature: string;
    revision: string;
    keyUrl: string;
    verifyUrl: string;
    unsigned: string;
    scanToVerify: string;
  };
  chart: {
    axis: string;
    temperature: string;
    range: string;
    target: string;
    excursion: string;
    door: string;
    handover: string;
    settle: string;
    gap: string;
    noData: string;
  };
  csv: {
    section: string;
    field: string;
    value: string;
    /** The column header of a time in the reader's zone and of the same time in UTC. */
    local: (label: string, timeZone: string) => string;
    utc: (label: string) => string;
    minutes: (label: string) => string;
    celsius: (label: string) => string;
    code: string;
    message: string;
  };
}

const zh: ReportLabels = {
  title: '冷链运输温度合规报告',
  generatedAt: '报告生成时间',
  timesIn: (timeZone) => `时间按 ${timeZone} 时区显示，下方为对应的 UTC 时间`,
  page: (n, of) => `第 ${n} 页，共 ${of} 页`,
  yes: '是',
  no: '否',
  open: '进行中',
  section: {
    verdict: '结论',
    shipment: '运单与货物',
    profile: '温控方案与限值',
    boundaries: '温度限值',
    sensors: '传感器统计',
    boundaryTimes: '各限值以外时间',
    judged: '判定温度（全程）',
    judgedLegs: '判定温度（分段）',
    excursions: '温度偏移及告警处理',
    earlyWarnings: '早期预警（不计入结论）',
    otherAlerts: '其他告警（无对应偏移）',
    custody: '交接链',
    unloading: '卸货',
    completeness: '数据完整性',
    completenessLegs: '各段完整性',
    gaps: '数据缺口',
    chart: '全程温度曲线',
    integrity: '防篡改校验',
  },
  shipment: {
    id: '运单编号',
    reference: '客户单号',
    goods: '货物',
    shipper: '发货方',
    consignee: '收货方',
    origin: '起运地',
    destination: '目的地',
    status: '运单状态',
    plannedDeparture: '计划发运',
    plannedArrival: '计划到达',
    actualDeparture: '实际发运',
    actualArrival: '实际到达',
    periodFrom: '监测开始',
    periodTo: '监测结束',
  },
  shipmentStatus: {
    planned: '计划中',
    in_transit: '运输中',
    delivered: '已送达',
    closed: '已关闭',
    cancelled: '已取消',
  },
  profile: {
    id: '方案编号',
    name: '温控方案',
    source: '限值依据',
    rangeLow: '温度范围下限',
    rangeHigh: '温度范围上限',
    targetLow: '推荐温度下限',
    targetHigh: '推荐温度上限',
    recordingInterval: '记录间隔',
    recordingIntervalDefaulted: '方案未设定，以最大数据间隔代替',
    cumulativeBudget: '累计超范围容许时间',
    mktLimit: '平均动力学温度（MKT）上限',
    maxGap: '最大数据间隔',
    settle: '起始稳定期',
    hysteresis: '恢复回差',
    doorOpenMax: '开门时限',
    earlyWarningAirDelay: '早期预警：空气超范围时长',
    earlyWarningTrend: '早期预警：货品趋势时段',
    humidityLow: '湿度下限',
    humidityHigh: '湿度上限',
    unbounded: '不限',
  },
  boundary: {
    id: '限值',
    direction: '方向',
    severity: '级别',
    limit: '限值温度',
    delay: '报警延时',
    budget: '累计容许',
    timeAbove: '高于限值时间',
    timeBelow: '低于限值时间',
    timeBeyond: '越限时间',
  },
  direction: { upper: '上限', lower: '下限' },
  severity: { warning: '预警', critical: '严重' },
  sensorName: (sensor) =>
    sensor === 'product' ? '产品温度' : sensor === 'air' ? '空气温度' : sensor === 'rh' ? '相对湿度' : sensor,
  stats: {
    sensor: '传感器',
    judged: '用于判定',
    samples: '读数',
    min: '最低',
    minAt: '最低值时间',
    max: '最高',
    maxAt: '最高值时间',
    mean: '平均',
    mkt: 'MKT',
    period: '统计时长',
    inRange: '范围内时间',
    outsideRange: '范围外时间',
    withoutData: '无数据时间',
    inTarget: '推荐范围内时间',
    budget: '累计容许',
    budgetUsed: '已用',
    budgetRemaining: '剩余',
    overBudget: '超出容许',
    leg: '段',
    from: '开始',
    to: '结束',
    legEnded: '已结束',
    verdict: '结论',
  },
  excursion: {
    rule: '规则',
    severity: '级别',
    boundary: '限值',
    limit: '限值',
    start: '开始',
    end: '结束',
    duration: '持续',
    peak: '峰值',
    peakAt: '峰值时间',
    failing: '影响结论',
    leg: '段',
    holder: '责任方',
    device: '设备',
    alert: '告警',
    alertStatus: '告警状态',
    acknowledgedBy: '确认人',
    acknowledgedAt: '确认时间',
    acknowledgementNote: '确认说明',
    resolvedBy: '解决人',
    resolvedAt: '解决时间',
    resolutionNote: '解决说明',
    noAlert: '无告警记录',
    none: '全程无温度偏移',
  },
  rule: {
    range: '超出温度范围',
    critical: '超出临界限值',
    cumulative: '累计超范围时间超限',
    humidity: '湿度超限',
    door: '开门超时',
    gap: '数据中断',
    early_warning: '早期预警（空气温度超出范围）',
  },
  earlyWarning: {
    note: '空气温度超出范围达到设定时长、而货品温度仍在范围内时发出的预警；它不是温度偏移，不影响结论。预计超限时间按预警发出时货品温度的趋势推算。',
    limit: '范围限值',
    airPeak: '空气峰值',
    projectedBreach: '预计货品超限时间',
    noProjection: '按趋势不会超限',
    none: '全程无早期预警',
  },
  alertStatus: { open: '未处理', acknowledged: '已确认', resolved: '已解决' },
  custody: {
    leg: '段',
    holder: '保管方',
    device: '设备',
    from: '接收时间',
    to: '交出时间',
    handedOverBy: '交出方',
    handoverTemp: '交接温度',
    place: '交接地点',
    note: '备注',
    at: '卸货时间',
    endedBy: '卸货人',
    endTemp: '卸货温度',
    receipt: '收货验收',
    decision: { accepted: '验收合格，已接收', rejected: '拒收' },
    receivedBy: '收货人',
    arrivalTemp: '到货温度',
    reason: '原因',
    none: '尚无交接记录',
  },
  completeness: {
    recordingInterval: '记录间隔',
    expected: '应有读数',
    received: '实收读数',
    ratio: '完整率',
    settleReadings: '稳定期读数',
    duplicates: '重复上报',
    timeInGaps: '缺口总时长',
    gapCount: '缺口数',
    kind: '类型',
    start: '开始',
    end: '结束',
    duration: '时长',
    missing: '缺失读数',
    noGaps: '无数据缺口',
  },
  gapKind: { start: '段首', between: '读数之间', end: '段尾', whole: '整段无数据' },
  verdict: { status: '结论', reasons: '理由', effect: '影响', noReasons: '全程符合温控方案' },
  verdictStatus: { pass: '合格', fail: '不合格', pending: '待定' },
  reasonEffect: { fail: '不合格', pending: '待定' },
  reason: {
    excursion: (rule, start, holder) => `${rule}，始于 ${start}，责任方 ${holder}`,
    mkt: (mkt, limit, leg) => `${leg === null ? '全程' : `第 ${leg} 段`} MKT ${mkt} 高于上限 ${limit}`,
    budget: (used, budget) => `累计超范围 ${used}，超过容许的 ${budget}`,
    noCustody: '尚无交接记录',
    legOpen: (leg) => (leg === null ? '有交接段仍在进行' : `第 ${leg} 段仍在进行`),
    notDelivered: '货物尚未送达',
    dataMayArrive: '最后一段结束不久，设备补传的数据可能仍会到达',
  },
  integrity: {
    canonicalForm: '规范格式',
    algorithm: '算法',
    lineCount: '读数行数',
    digest: '读数摘要',
    signedDigest: '签名摘要',
    signature: '签名（Ed25519）',
    revision: '报告版本',
    keyUrl: '公钥地址',
    verifyUrl: '核验地址',
    unsigned: '未签名',
    scanToVerify: '扫码核验本报告',
  },
  chart: {
    axis: '温度 (°C)',
    temperature: '判定温度',
    range: '温度范围',
    target: '推荐温度',
    excursion: '偏移',
    door: '开门',
    handover: '交接',
    settle: '稳定期',
    gap: '数据缺口',
    noData: '无读数',
  },
  csv: {
    section: '部分',
    field: '项目',
    value: '值',
    local: (label, timeZone) => `${label}（${timeZone}）`,
    utc: (label) => `${label}（UTC）`,
    minutes: (label) => `${label}（分钟）`,
    celsius: (label) => `${label}（°C）`,
    code: '代码',
    message: '说明',
  },
};

const en: ReportLabels = {
  title: 'Cold-chain temperature compliance report',
  generatedAt: 'Report generated',
  timesIn: (timeZone) => `Times in ${timeZone}, with UTC below`,
  page: (n, of) => `Page ${n} of ${of}`,
  yes: 'yes',
  no: 'no',
  open: 'open',
  section: {
    verdict: 'Verdict',
    shipment: 'Shipment and goods',
    profile: 'Profile and limits',
    boundaries: 'Temperature limits',
    sensors: 'Sensor statistics',
    boundaryTimes: 'Time beyond each limit',
    judged: 'Judged temperature (journey)',
    judgedLegs: 'Judged temperature (per leg)',
    excursions: 'Excursions and their alerts',
    earlyWarnings: 'Early warnings (not counted in the verdict)',
    otherAlerts: 'Other alerts (no current excursion)',
    custody: 'Custody chain',
    unloading: 'Unloading',
    completeness: 'Data completeness',
    completenessLegs: 'Completeness per leg',
    gaps: 'Data gaps',
    chart: 'Temperature over the journey',
    integrity: 'Tamper evidence',
  },
  shipment: {
    id: 'Shipment',
    reference: 'Reference',
    goods: 'Goods',
    shipper: 'Shipper',
    consignee: 'Consignee',
    origin: 'Origin',
    destination: 'Destination',
    status: 'Status',
    plannedDeparture: 'Planned departure',
    plannedArrival: 'Planned arrival',
    actualDeparture: 'Actual departure',
    actualArrival: 'Actual arrival',
    periodFrom: 'Monitored from',
    periodTo: 'Monitored to',
  },
  shipmentStatus: {
    planned: 'planned',
    in_transit: 'in transit',
    delivered: 'delivered',
    closed: 'closed',
    cancelled: 'cancelled',
  },
  profile: {
    id: 'Profile id',
    name: 'Profile',
    source: 'Source of the limits',
    rangeLow: 'Range, low',
    rangeHigh: 'Range, high',
    targetLow: 'Target, low',
    targetHigh: 'Target, high',
    recordingInterval: 'Recording interval',
    recordingIntervalDefaulted: 'not set by the profile: the maximum gap stands in',
    cumulativeBudget: 'Cumulative time outside allowed',
    mktLimit: 'Mean kinetic temperature (MKT) limit',
    maxGap: 'Maximum data gap',
    settle: 'Settle period',
    hysteresis: 'Hysteresis',
    doorOpenMax: 'Door-open limit',
    earlyWarningAirDelay: 'Early warning: air outside the range for',
    earlyWarningTrend: 'Early warning: product trend over',
    humidityLow: 'Humidity, low',
    humidityHigh: 'Humidity, high',
    unbounded: 'none',
  },
  boundary: {
    id: 'Limit',
    direction: 'Direction',
    severity: 'Severity',
    limit: 'Limit',
    delay: 'Alarm delay',
    budget: 'Budget',
    timeAbove: 'Time above',
    timeBelow: 'Time below',
    timeBeyond: 'Time beyond',
  },
  direction: { upper: 'upper', lower: 'lower' },
  severity: { warning: 'warning', critical: 'critical' },
  sensorName: (sensor) =>
    sensor === 'product'
      ? 'product temperature'
      : sensor === 'air'
        ? 'air temperature'
        : sensor === 'rh'
          ? 'relative humidity'
          : sensor,
  stats: {
    sensor: 'Sensor',
    judged: 'Judged',
    samples: 'Readings',
    min: 'Min',
    minAt: 'Min at',
    max: 'Max',
    maxAt: 'Max at',
    mean: 'Mean',
    mkt: 'MKT',
    period: 'Period',
    inRange: 'In range',
    outsideRange: 'Outside range',
    withoutData: 'Without data',
    inTarget: 'In target',
    budget: 'Budget',
    budgetUsed: 'Used',
    budgetRemaining: 'Remaining',
    overBudget: 'Over budget',
    leg: 'Leg',
    from: 'From',
    to: 'To',
    legEnded: 'Ended',
    verdict: 'Verdict',
  },
  excursion: {
    rule: 'Rule',
    severity: 'Severity',
    boundary: 'Limit id',
    limit: 'Limit',
    start: 'Start',
    end: 'End',
    duration: 'Duration',
    peak: 'Peak',
    peakAt: 'Peak at',
    failing: 'Fails',
    leg: 'Leg',
    holder: 'Holder',
    device: 'Device',
    alert: 'Alert',
    alertStatus: 'Alert status',
    acknowledgedBy: 'Acknowledged by',
    acknowledgedAt: 'Acknowledged at',
    acknowledgementNote: 'Acknowledgement note',
    resolvedBy: 'Resolved by',
    resolvedAt: 'Resolved at',
    resolutionNote: 'Resolution note',
    noAlert: 'no alert recorded',
    none: 'No excursion over the journey',
  },
  rule: {
    range: 'outside the range',
    critical: 'beyond a critical limit',
    cumulative: 'cumulative time outside over budget',
    humidity: 'humidity out of range',
    door: 'door open too long',
    gap: 'data gap',
    early_warning: 'early warning (air outside the range)',
  },
  earlyWarning: {
    note: 'Raised when the air was outside the range for the profile’s delay while the product was still inside: a warning, not an excursion, and it does not affect the verdict. The projected breach extrapolates the product’s trend as it stood when the warning was raised.',
    limit: 'Range limit',
    airPeak: 'Air peak',
    projectedBreach: 'Projected product breach',
    noProjection: 'trend not heading for the limit',
    none: 'No early warning over the journey',
  },
  alertStatus: { open: 'open', acknowledged: 'acknowledged', resolved: 'resolved' },
  custody: {
    leg: 'Leg',
    holder: 'Holder',
    device: 'Device',
    from: 'Received',
    to: 'Handed on',
    handedOverBy: 'Handed over by',
    handoverTemp: 'Temperature at handover',
    place: 'Place',
    note: 'Note',
    at: 'Unloaded at',
    endedBy: 'Unloaded by',
    endTemp: 'Temperature at unloading',
    receipt: 'Receipt by the consignee',
    decision: { accepted: 'accepted', rejected: 'rejected' },
    receivedBy: 'Received by',
    arrivalTemp: 'Temperature at arrival',
    reason: 'Reason',
    none: 'No custody recorded yet',
  },
  completeness: {
    recordingInterval: 'Recording interval',
    expected: 'Readings expected',
    received: 'Readings received',
    ratio: 'Completeness',
    settleReadings: 'In settle period',
    duplicates: 'Redelivered',
    timeInGaps: 'Time in gaps',
    gapCount: 'Gaps',
    kind: 'Kind',
    start: 'Start',
    end: 'End',
    duration: 'Duration',
    missing: 'Readings missing',
    noGaps: 'No data gap',
  },
  gapKind: { start: 'leg start', between: 'between readings', end: 'leg end', whole: 'whole leg' },
  verdict: {
    status: 'Verdict',
    reasons: 'Reasons',
    effect: 'Effect',
    noReasons: 'Within the profile throughout',
  },
  verdictStatus: { pass: 'PASS', fail: 'FAIL', pending: 'PENDING' },
  reasonEffect: { fail: 'fails', pending: 'pending' },
  reason: {
    excursion: (rule, start, holder) => `${rule}, from ${start}, held by ${holder}`,
    mkt: (mkt, limit, leg) =>
      `${leg === null ? 'journey' : `leg ${leg}`} MKT ${mkt} is above the limit of ${limit}`,
    budget: (used, budget) => `${used} outside the range in total, more than the ${budget} allowed`,
    noCustody: 'no custody recorded yet',
    legOpen: (leg) => (leg === null ? 'a custody leg is still open' : `leg ${leg} is still open`),
    notDelivered: 'the goods are not delivered yet',
    dataMayArrive: "the last leg ended recently: a device's backlog may still arrive",
  },
  integrity: {
    canonicalForm: 'Canonical form',
    algorithm: 'Algorithm',
    lineCount: 'Readings',
    digest: 'Digest of the readings',
    signedDigest: 'Signed digest',
    signature: 'Signature (Ed25519)',
    revision: 'Revision',
    keyUrl: 'Public key',
    verifyUrl: 'Verify at',
    unsigned: 'not signed',
    scanToVerify: 'Scan to verify this report',
  },
  chart: {
    axis: 'Temperature (°C)',
    temperature: 'judged temperature',
    range: 'range',
    target: 'target',
    excursion: 'excursion',
    door: 'door open',
    handover: 'handover',
    settle: 'settle period',
    gap: 'data gap',
    noData: 'no readings',
  },
  csv: {
    section: 'section',
    field: 'field',
    value: 'value',
    local: (label, timeZone) => `${label} (${timeZone})`,
    utc: (label) => `${label} (UTC)`,
    minutes: (label) => `${label} (min)`,
    celsius: (label) => `${label} (°C)`,
    code: 'code',
    message: 'message',
  },
};

const LABELS: Record<ReportLang, ReportLabels> = { 'zh-CN': zh, en };

export function reportLabels(lang: ReportLang): ReportLabels {
  return LABELS[lang];
}
