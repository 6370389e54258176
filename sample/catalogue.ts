// The sample procedure catalogue of Đồng Hới: 515 procedures in force (335 city level in 36
// fields, 180 commune level), 87 city-level procedures offered online in 14 fields and 31
// commune-level ones, as the reference report states, plus a few repealed procedures.
import type { Random } from './random.js';

export type Level = 'city' | 'commune';

export type Procedure = {
  code: string;
  name: string;
  level: Level;
  fieldCode: string;
  fieldName: string;
  /** unit_code of the city agency in charge; communes handle every commune-level procedure. */
  agency: string | undefined;
  onlineLevel: 2 | 3 | 4;
  days: number;
  feeVnd: number;
  inForce: boolean;
  /** Relative share of the dossiers of its pool. */
  popularity: number;
};

type FieldSpec = {
  code: string;
  name: string;
  agency?: string;
  count: number;
  online: number;
  weight: number;
  days: [number, number];
  names: string[];
};

const CITY_FIELDS: FieldSpec[] = [
  { code: 'HT', name: 'Hộ tịch', agency: 'DH.TP', count: 20, online: 10, weight: 6, days: [1, 5], names: ['Đăng ký khai sinh', 'Đăng ký kết hôn', 'Đăng ký khai tử', 'Thay đổi, cải chính, bổ sung thông tin hộ tịch', 'Ghi vào sổ hộ tịch việc hộ tịch đã giải quyết ở nước ngoài', 'Đăng ký nhận cha, mẹ, con', 'Cấp bản sao trích lục hộ tịch'] },
  { code: 'CT', name: 'Chứng thực', agency: 'DH.TP', count: 12, online: 4, weight: 8, days: [0, 2], names: ['Cấp bản sao từ sổ gốc', 'Chứng thực bản sao từ bản chính', 'Chứng thực chữ ký', 'Chứng thực hợp đồng, giao dịch', 'Chứng thực việc sửa đổi, bổ sung hợp đồng'] },
  { code: 'BTNN', name: 'Bồi thường nhà nước', agency: 'DH.TP', count: 6, online: 0, weight: 0.2, days: [10, 30], names: ['Giải quyết yêu cầu bồi thường tại cơ quan trực tiếp quản lý người thi hành công vụ', 'Phục hồi danh dự'] },
  { code: 'DD', name: 'Đất đai', agency: 'DH.TNMT', count: 36, online: 16, weight: 10, days: [10, 30], names: ['Đăng ký, cấp Giấy chứng nhận quyền sử dụng đất lần đầu', 'Đăng ký biến động quyền sử dụng đất', 'Chuyển mục đích sử dụng đất', 'Tách thửa hoặc hợp thửa đất', 'Cấp đổi Giấy chứng nhận quyền sử dụng đất', 'Xóa đăng ký cho thuê, cho thuê lại quyền sử dụng đất', 'Đính chính Giấy chứng nhận đã cấp', 'Thu hồi đất'] },
  { code: 'MT', name: 'Môi trường', agency: 'DH.TNMT', count: 10, online: 0, weight: 1, days: [5, 20], names: ['Đăng ký môi trường', 'Thẩm định báo cáo đánh giá tác động môi trường', 'Cấp giấy phép môi trường'] },
  { code: 'TNN', name: 'Tài nguyên nước', agency: 'DH.TNMT', count: 6, online: 0, weight: 0.3, days: [10, 30], names: ['Đăng ký khai thác nước dưới đất', 'Cấp giấy phép xả nước thải vào nguồn nước'] },
  { code: 'XD', name: 'Hoạt động xây dựng', agency: 'DH.QLDT', count: 18, online: 8, weight: 5, days: [7, 20], names: ['Cấp giấy phép xây dựng nhà ở riêng lẻ', 'Cấp giấy phép sửa chữa, cải tạo công trình', 'Điều chỉnh giấy phép xây dựng', 'Cấp giấy phép di dời công trình', 'Thẩm định báo cáo kinh tế - kỹ thuật đầu tư xây dựng'] },
  { code: 'QH', name: 'Quy hoạch xây dựng, kiến trúc', agency: 'DH.QLDT', count: 8, online: 0, weight: 0.6, days: [15, 25], names: ['Thẩm định nhiệm vụ quy hoạch chi tiết', 'Cung cấp thông tin về quy hoạch xây dựng'] },
  { code: 'NO', name: 'Nhà ở', agency: 'DH.QLDT', count: 7, online: 0, weight: 0.5, days: [10, 30], names: ['Cho thuê nhà ở công vụ', 'Bán nhà ở thuộc sở hữu nhà nước'] },
  { code: 'GT', name: 'Đường bộ', agency: 'DH.QLDT', count: 9, online: 3, weight: 1.2, days: [3, 10], names: ['Cấp giấy phép thi công công trình trên đường bộ', 'Chấp thuận xây dựng công trình thiết yếu trong phạm vi bảo vệ kết cấu hạ tầng giao thông'] },
  { code: 'HKD', name: 'Thành lập và hoạt động của hộ kinh doanh', agency: 'DH.TCKH', count: 12, online: 8, weight: 5, days: [3, 5], names: ['Đăng ký thành lập hộ kinh doanh', 'Đăng ký thay đổi nội dung đăng ký hộ kinh doanh', 'Tạm ngừng kinh doanh, tiếp tục kinh doanh trước thời hạn', 'Chấm dứt hoạt động hộ kinh doanh', 'Cấp lại Giấy chứng nhận đăng ký hộ kinh doanh'] },
  { code: 'HTX', name: 'Thành lập và hoạt động của hợp tác xã', agency: 'DH.TCKH', count: 10, online: 0, weight: 0.4, days: [3, 5], names: ['Đăng ký thành lập hợp tác xã', 'Đăng ký thay đổi tên, địa chỉ hợp tác xã', 'Giải thể tự nguyện hợp tác xã'] },
  { code: 'CS', name: 'Quản lý công sản', agency: 'DH.TCKH', count: 5, online: 0, weight: 0.2, days: [10, 30], names: ['Quyết định thanh lý tài sản công', 'Quyết định điều chuyển tài sản công'] },
  { code: 'LD', name: 'Lao động, tiền lương', agency: 'DH.LDTBXH', count: 8, online: 4, weight: 1, days: [5, 15], names: ['Gửi thỏa ước lao động tập thể', 'Đăng ký nội quy lao động', 'Báo cáo tình hình sử dụng lao động'] },
  { code: 'NCC', name: 'Người có công', agency: 'DH.LDTBXH', count: 24, online: 8, weight: 3, days: [5, 20], names: ['Giải quyết chế độ mai táng phí đối với người có công', 'Cấp giấy giới thiệu đi thăm viếng mộ liệt sĩ', 'Hỗ trợ người có công cải thiện nhà ở', 'Giải quyết chế độ trợ cấp thờ cúng liệt sĩ', 'Di chuyển hồ sơ người có công'] },
  { code: 'BTXH', name: 'Bảo trợ xã hội', agency: 'DH.LDTBXH', count: 14, online: 9, weight: 4, days: [5, 15], names: ['Thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hàng tháng', 'Hỗ trợ kinh phí chăm sóc, nuôi dưỡng đối tượng cần bảo vệ khẩn cấp', 'Chi trả trợ cấp xã hội khi đối tượng thay đổi nơi cư trú', 'Trợ giúp xã hội khẩn cấp về hỗ trợ làm nhà ở'] },
  { code: 'TE', name: 'Trẻ em', agency: 'DH.LDTBXH', count: 6, online: 0, weight: 0.3, days: [5, 15], names: ['Áp dụng các biện pháp can thiệp khẩn cấp bảo vệ trẻ em', 'Chấm dứt việc chăm sóc thay thế cho trẻ em'] },
  { code: 'PCTN', name: 'Phòng, chống tệ nạn xã hội', agency: 'DH.LDTBXH', count: 5, online: 0, weight: 0.2, days: [5, 15], names: ['Quyết định quản lý cai nghiện ma túy tự nguyện tại gia đình'] },
  { code: 'GDDT', name: 'Giáo dục và Đào tạo', agency: 'DH.GDDT', count: 20, online: 6, weight: 2, days: [5, 20], names: ['Chuyển trường đối với học sinh trung học cơ sở', 'Công nhận trường tiểu học đạt chuẩn quốc gia', 'Cho phép trường mầm non hoạt động giáo dục', 'Cấp bản sao văn bằng, chứng chỉ từ sổ gốc', 'Xét, duyệt chính sách hỗ trợ đối với học sinh bán trú'] },
  { code: 'TS', name: 'Thi, tuyển sinh', agency: 'DH.GDDT', count: 6, online: 0, weight: 0.5, days: [5, 15], names: ['Tuyển sinh trung học cơ sở', 'Xét tuyển sinh vào trường phổ thông dân tộc nội trú'] },
  { code: 'VH', name: 'Văn hóa', agency: 'DH.VHTT', count: 10, online: 3, weight: 1, days: [3, 10], names: ['Thông báo tổ chức lễ hội', 'Cấp giấy phép kinh doanh karaoke', 'Xét tặng danh hiệu Gia đình văn hóa tiêu biểu'] },
  { code: 'TT', name: 'Thể thao', agency: 'DH.VHTT', count: 5, online: 0, weight: 0.2, days: [5, 10], names: ['Công nhận câu lạc bộ thể thao cơ sở'] },
  { code: 'DL', name: 'Du lịch', agency: 'DH.VHTT', count: 4, online: 0, weight: 0.2, days: [5, 10], names: ['Công nhận điểm du lịch'] },
  { code: 'TTTT', name: 'Xuất bản, in và phát hành', agency: 'DH.VHTT', count: 5, online: 0, weight: 0.5, days: [3, 10], names: ['Đăng ký hoạt động cơ sở in', 'Cấp giấy phép triển lãm tác phẩm nhiếp ảnh'] },
  { code: 'GD', name: 'Gia đình', agency: 'DH.VHTT', count: 4, online: 0, weight: 0.2, days: [5, 10], names: ['Cấp giấy chứng nhận đăng ký hoạt động cơ sở hỗ trợ nạn nhân bạo lực gia đình'] },
  { code: 'ATTP', name: 'An toàn thực phẩm', agency: 'DH.YT', count: 6, online: 3, weight: 1.2, days: [5, 15], names: ['Cấp giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm', 'Cấp lại giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm'] },
  { code: 'YT', name: 'Y tế dự phòng', agency: 'DH.YT', count: 4, online: 0, weight: 0.3, days: [5, 15], names: ['Xác nhận nội dung quảng cáo dịch vụ y tế'] },
  { code: 'TDKT', name: 'Thi đua, khen thưởng', agency: 'DH.NV', count: 10, online: 2, weight: 0.8, days: [10, 20], names: ['Tặng giấy khen của Chủ tịch UBND thành phố', 'Tặng danh hiệu Lao động tiên tiến', 'Tặng danh hiệu Chiến sĩ thi đua cơ sở'] },
  { code: 'TG', name: 'Tín ngưỡng, tôn giáo', agency: 'DH.NV', count: 8, online: 0, weight: 0.3, days: [15, 30], names: ['Đăng ký hoạt động tín ngưỡng', 'Thông báo tổ chức quyên góp'] },
  { code: 'CCVC', name: 'Công chức, viên chức', agency: 'DH.NV', count: 6, online: 0, weight: 0.3, days: [10, 30], names: ['Thi tuyển viên chức', 'Xét chuyển cán bộ, công chức cấp xã thành công chức cấp huyện'] },
  { code: 'KN', name: 'Giải quyết khiếu nại', agency: 'DH.TTR', count: 3, online: 0, weight: 0.2, days: [30, 45], names: ['Giải quyết khiếu nại lần đầu', 'Giải quyết khiếu nại lần hai'] },
  { code: 'TC', name: 'Giải quyết tố cáo', agency: 'DH.TTR', count: 2, online: 0, weight: 0.1, days: [30, 60], names: ['Giải quyết tố cáo'] },
  { code: 'TCD', name: 'Tiếp công dân', agency: 'DH.TTR', count: 2, online: 0, weight: 0.1, days: [5, 10], names: ['Tiếp công dân tại cấp huyện'] },
  { code: 'LTHH', name: 'Lưu thông hàng hóa trong nước', agency: 'DH.KT', count: 8, online: 3, weight: 1, days: [5, 15], names: ['Cấp giấy phép bán lẻ sản phẩm thuốc lá', 'Cấp giấy phép bán lẻ rượu', 'Cấp giấy phép sản xuất rượu thủ công nhằm mục đích kinh doanh'] },
  { code: 'NN', name: 'Nông nghiệp, thủy sản, thủy lợi', agency: 'DH.KT', count: 10, online: 0, weight: 0.4, days: [5, 20], names: ['Hỗ trợ khôi phục sản xuất vùng bị thiệt hại do thiên tai', 'Phê duyệt kế hoạch khuyến nông địa phương'] },
  { code: 'LT', name: 'Văn thư, lưu trữ', agency: 'DH.VP', count: 6, online: 0, weight: 0.3, days: [1, 5], names: ['Phục vụ việc sử dụng tài liệu của độc giả tại phòng đọc', 'Cấp bản sao và chứng thực lưu trữ'] },
];

const COMMUNE_FIELDS: FieldSpec[] = [
  { code: 'HTX.HT', name: 'Hộ tịch', count: 40, online: 14, weight: 10, days: [0, 5], names: ['Đăng ký khai sinh', 'Đăng ký kết hôn', 'Đăng ký khai tử', 'Đăng ký giám hộ', 'Cấp Giấy xác nhận tình trạng hôn nhân', 'Đăng ký lại khai sinh', 'Liên thông đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi'] },
  { code: 'HTX.CT', name: 'Chứng thực', count: 16, online: 6, weight: 10, days: [0, 2], names: ['Chứng thực bản sao từ bản chính', 'Chứng thực chữ ký', 'Chứng thực hợp đồng, giao dịch liên quan đến nhà ở', 'Chứng thực văn bản thỏa thuận phân chia di sản'] },
  { code: 'HTX.DD', name: 'Đất đai', count: 20, online: 2, weight: 3, days: [5, 15], names: ['Hòa giải tranh chấp đất đai', 'Xác nhận nguồn gốc đất', 'Đăng ký đất đai lần đầu'] },
  { code: 'HTX.NCC', name: 'Người có công', count: 14, online: 0, weight: 1, days: [5, 12], names: ['Xác nhận thương binh, người hưởng chính sách như thương binh', 'Thủ tục giải quyết chế độ ưu đãi đối với Bà mẹ Việt Nam anh hùng'] },
  { code: 'HTX.BTXH', name: 'Bảo trợ xã hội', count: 16, online: 5, weight: 3, days: [3, 12], names: ['Đăng ký hoạt động cơ sở trợ giúp xã hội', 'Xác định, xác định lại mức độ khuyết tật', 'Trợ cấp xã hội hàng tháng đối với người cao tuổi'] },
  { code: 'HTX.LD', name: 'Việc làm', count: 6, online: 0, weight: 0.5, days: [3, 10], names: ['Xác nhận hộ gia đình làm nông nghiệp có mức sống trung bình'] },
  { code: 'HTX.GD', name: 'Giáo dục', count: 8, online: 0, weight: 0.5, days: [3, 10], names: ['Cho phép nhóm trẻ, lớp mẫu giáo độc lập hoạt động giáo dục'] },
  { code: 'HTX.VH', name: 'Văn hóa, thể thao, gia đình', count: 10, online: 2, weight: 0.6, days: [3, 10], names: ['Công nhận gia đình văn hóa', 'Thông báo tổ chức lễ hội cấp xã'] },
  { code: 'HTX.NN', name: 'Nông nghiệp, thủy lợi', count: 10, online: 0, weight: 0.5, days: [3, 10], names: ['Hỗ trợ dự án liên kết sản xuất', 'Phê duyệt kế hoạch phòng, chống thiên tai cấp xã'] },
  { code: 'HTX.XD', name: 'Xây dựng, nhà ở', count: 8, online: 1, weight: 0.6, days: [5, 12], names: ['Xác nhận nhà ở thuộc diện hỗ trợ', 'Thông báo khởi công xây dựng nhà ở riêng lẻ'] },
  { code: 'HTX.TG', name: 'Tôn giáo, tín ngưỡng', count: 8, online: 0, weight: 0.2, days: [5, 15], names: ['Đăng ký sinh hoạt tôn giáo tập trung'] },
  { code: 'HTX.TDKT', name: 'Thi đua, khen thưởng', count: 6, online: 1, weight: 0.3, days: [5, 15], names: ['Tặng giấy khen của Chủ tịch UBND cấp xã'] },
  { code: 'HTX.HG', name: 'Hòa giải cơ sở, phổ biến pháp luật', count: 6, online: 0, weight: 0.2, days: [3, 10], names: ['Công nhận hòa giải viên', 'Thôi làm hòa giải viên'] },
  { code: 'HTX.KN', name: 'Khiếu nại, tố cáo, tiếp công dân', count: 4, online: 0, weight: 0.2, days: [15, 30], names: ['Giải quyết khiếu nại lần đầu tại cấp xã'] },
  { code: 'HTX.TE', name: 'Trẻ em', count: 4, online: 0, weight: 0.3, days: [3, 10], names: ['Đăng ký nhận chăm sóc thay thế cho trẻ em'] },
  { code: 'HTX.MT', name: 'Môi trường', count: 4, online: 0, weight: 0.2, days: [3, 10], names: ['Tham vấn trong đánh giá tác động môi trường'] },
];

const QUALIFIERS = ['', ' có yếu tố nước ngoài', ' (cấp lại)', ' (điều chỉnh)', ' (gia hạn)', ' lưu động', ' (bổ sung)', ' (trường hợp đặc biệt)'];
const FEES = [2_000, 8_000, 10_000, 15_000, 20_000, 50_000, 75_000, 100_000, 150_000, 200_000, 500_000];
const FEE_SHARE = 0.45;
const REPEALED = { city: 6, commune: 3 };

export function buildCatalogue(random: Random): Procedure[] {
  const codes = new Set<string>();
  const newCode = () => {
    for (;;) {
      const code = `${random.pick(['1', '1', '2'])}.00${random.int(1000, 9999)}`;
      if (!codes.has(code)) {
        codes.add(code);
        return code;
      }
    }
  };
  const procedures: Procedure[] = [];
  for (const [level, fields] of [['city', CITY_FIELDS], ['commune', COMMUNE_FIELDS]] as const) {
    for (const field of fields) {
      for (let i = 0; i < field.count + (field === fields[0] ? REPEALED[level] : 0); i++) {
        const base = field.names[i % field.names.length]!;
        const qualifier = QUALIFIERS[Math.floor(i / field.names.length) % QUALIFIERS.length]!;
        const round = Math.floor(i / (field.names.length * QUALIFIERS.length));
        const inForce = i < field.count;
        procedures.push({
          code: newCode(),
          name: `${base}${qualifier}${round > 0 ? ` – trường hợp ${round + 1}` : ''}`,
          level,
          fieldCode: field.code,
          fieldName: field.name,
          agency: field.agency,
          // The first procedures of an online field are its online services, most of them full online.
          onlineLevel: inForce && i < field.online ? (i % 3 === 2 ? 3 : 4) : 2,
          days: random.int(field.days[0], field.days[1]),
          feeVnd: 0,
          inForce,
          // A few procedures of a field carry most of its dossiers (Zipf).
          popularity: inForce ? field.weight / (i + 1) ** 1.1 : 0,
        });
      }
    }
  }
  // Fees: the same share in every pool (level × offered online), so that every pool has both.
  for (const level of ['city', 'commune'] as const) {
    for (const online of [true, false]) {
      const pool = procedures.filter((p) => p.inForce && p.level === level && (p.onlineLevel > 2) === online);
      random.exactly(pool, Math.round(pool.length * FEE_SHARE), (p) => {
        p.feeVnd = random.pick(FEES);
      });
    }
  }
  return procedures;
}
