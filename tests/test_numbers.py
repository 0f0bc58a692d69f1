from fractions import Fraction

import pytest

from leshan_pub.quality.numbers import FigureKind, chinese_figures, english_figures, english_form, missing_figures

# (Chinese, English): the English states every Chinese figure, however it converts or spells it.
EQUAL = [
    ("总投资36.3亿元", "a total investment of 3.63 billion yuan"),
    ("总投资36.3亿元", "total investment of RMB 3.63 billion"),
    ("总投资36.3亿元", "total investment of 3,630 million yuan"),
    ("投资400多亿元", "investment of more than 40 billion yuan"),
    ("年产10万吨", "100,000 tonnes a year"),
    ("年产10万吨", "100 thousand tonnes a year"),
    ("年产能1000万升", "an annual capacity of 10 million litres"),
    ("提升至95万吨", "rise to 950,000 tonnes"),
    ("首期4万吨", "first phase: 40,000 tonnes"),
    ("产能将达5吉瓦", "capacity will reach 5 GW"),
    ("产能将达5吉瓦", "capacity will reach 5 gigawatts"),
    ("产能将达5吉瓦", "capacity will reach 5,000 MW"),
    ("100万千瓦", "1 GW"),
    ("100万千瓦", "1 million kW"),
    ("占50%以上", "more than 50%"),
    ("占50%以上", "over 50 percent"),
    ("占50%以上", "over 50 per cent"),
    ("占６０％", "60% of the market"),
    ("增长3.5%", "grew by 3.5 percent"),
    ("百分之五十", "fifty percent"),
    ("百分之五十", "50%"),
    ("三分之一", "one third"),
    ("三分之一", "a third"),
    ("三分之二", "two-thirds"),
    ("2024年11月22日", "22 November 2024"),
    ("2024年11月22日", "November 22, 2024"),
    ("2024年11月22日", "Nov. 22, 2024"),
    ("2024年11月22日", "on 2024-11-22"),
    ("12月19日", "19 December"),
    ("12月19日", "December 19"),
    ("十一月十九日", "19 November"),
    ("2025年4月", "April 2025"),
    ("2023年", "in 2023"),
    ("２０２５年", "in 2025"),
    ("二〇二四年", "2024"),
    ("3—5年", "3 to 5 years"),
    ("3—5年", "three to five years"),
    ("3—5年", "3-5 years"),
    ("3至5年", "3 to 5 years"),
    ("三五年", "three to five years"),
    ("2021—2025年", "2021–2025"),
    ("3-5亿元", "300-500 million yuan"),
    ("3-5亿元", "300 million to 500 million yuan"),
    ("两个集群", "two clusters"),
    ("两个集群", "2 clusters"),
    ("十个项目", "ten projects"),
    ("一百家企业", "100 companies"),
    ("三千人", "3,000 people"),
    ("两千五百吨", "two thousand five hundred tonnes"),
    ("一百零五", "one hundred and five"),
    ("一亿二千万", "120 million"),
    ("五大基地", "five major bases"),
    ("“十四五”末", "by the end of the 14th Five-Year Plan period"),
    ("第14届", "the 14th session"),
    ("第二十一", "the twenty-first"),
    ("第一家半导体企业", "the first semiconductor enterprise"),
    ("突破1000亿元", "exceeded 100 billion yuan"),
    ("4500亿元以上", "more than 450 billion yuan"),
    ("产值达836亿元", "output value of 83.6 billion yuan"),
    ("约25亿元", "about 2.5 billion yuan"),
    ("3.8亿元", "380 million yuan"),
    ("突破60亿元", "exceed 6 billion yuan"),
    ("约30亿元", "about 3bn yuan"),
    ("5万亿元", "5 trillion yuan"),
    ("千亿元级产业集群", "clusters at the 100-billion-yuan scale"),
    ("700多户", "more than 700"),
    ("20余年", "more than 20 years"),
    ("近2000项", "nearly 2,000"),
    ("1,200家", "1,200 companies"),
    ("全球前10强有5家", "5 of the world's top 10"),
    ("5公里", "Five kilometres"),
    ("¹⁷⁷核素", "¹⁷⁷Lu"),
    ("“241”现代化产业体系", "its “241” modern industrial system"),
    ("国家A级旅游景区", "national A-level tourist attractions"),
    ("二、医用同位素", "II. Medical isotopes"),
    ("（四）保障措施", "(IV) Safeguards"),
    ("（二）保障措施", "(2) Safeguards"),
    ("第一部分 总体要求", "Part I General requirements"),
    ("一批重大项目", "a number of major projects"),
    ("四川省", "Sichuan Province"),
    ("气象万千", "a rich variety of results"),
    ("十分重要", "very important"),
    ("十几个", "a dozen or so"),
    ("数十家企业", "dozens of companies"),
    ("排放低于１０⁻³吨", "emissions below 10⁻³ tonnes"),
    ("排放低于１０⁻³吨", "emissions below 0.001 tonnes"),
    ("面积达5×10⁴平方米", "an area of 50,000 square metres"),
    ("面积达1.5×10⁴平方米", "an area of 15,000 square metres"),
    ("面积达5×10^4平方米", "an area of 5 x 10^4 square metres"),
    ("面积100m²，体积3m³", "an area of 100 square metres and a volume of 3 cubic metres"),
    ("面积100m²", "an area of 100 m²"),
    # Words a numeral character only spells: retail, parts, below zero, sectors, holidays, a site.
    ("社会消费品零售总额增长5%", "total retail sales of consumer goods grew 5%"),
    ("汽车零部件产业", "the auto parts industry"),
    ("零下5摄氏度", "minus 5 degrees Celsius"),
    ("第三产业占比", "the share of the tertiary sector"),
    ("一二三产业融合发展", "integrated development of farming, industry and services"),
    ("三产增速", "growth in services"),
    ("五一假期接待游客", "tourists received over the May Day holiday"),
    ("十一黄金周", "the National Day Golden Week"),
    ("三星堆遗址", "the Sanxingdui site"),
    ("占全国1/3", "a third of the national total"),
    ("占全国１／３", "1/3 of the national total"),
    ("20世纪80年代", "the 1980s"),
    ("二十世纪八十年代", "in the 1980s"),
    ("80年代", "the '80s"),
    ("近10年", "nearly a decade"),
    ("十年来", "over the past decade"),
    ("二十年", "two decades"),
    ("增长近两倍", "nearly tripled"),
    ("增长到三倍", "tripled"),
    ("约1.2万亿元", "about RMB1.2tn"),
    ("5亿元", "half a billion yuan"),
    ("高0.5个百分点", "half a percentage point higher"),
    ("占50%", "half of it"),
    ("占25%", "a quarter of it"),
    ("交通四通八达", "well connected by road and rail"),
    ("一年四季", "all year round"),
    ("一举两得", "a double gain"),
]

# (Chinese, English, the Chinese figures the English lacks).
UNEQUAL = [
    ("总投资36.3亿元", "a total investment of 363 million yuan", ["36.3亿元"]),
    ("年产10万吨", "10,000 tonnes a year", ["10万吨"]),
    ("95万吨", "9,500 tonnes", ["95万吨"]),
    ("1000万升", "1 million litres", ["1000万升"]),
    ("产能将达5吉瓦", "capacity will reach 5 MW", ["5吉瓦"]),
    ("100万千瓦", "100 kW", ["100万千瓦"]),
    ("1000亿元", "1 trillion yuan", ["1000亿元"]),
    ("4500亿元", "45 billion yuan", ["4500亿元"]),
    ("836亿元", "8.36 billion yuan", ["836亿元"]),
    ("25亿元", "250 million yuan", ["25亿元"]),
    ("3.8亿元", "38 million yuan", ["3.8亿元"]),
    ("60亿元", "600 million yuan", ["60亿元"]),
    ("5万亿元", "5 billion yuan", ["5万亿元"]),
    ("3-5亿元", "300-500 thousand yuan", ["3-5亿元", "3-5亿元"]),
    ("占50%以上", "more than 60%", ["50%"]),
    ("百分之五十", "15%", ["百分之五十"]),
    ("三分之一", "a quarter", ["三分之一"]),
    ("2024年11月22日", "22 November 2023", ["2024年"]),
    ("2024年11月22日", "22 October 2024", ["11月"]),
    ("2024年11月22日", "22 November", ["2024年"]),
    ("12月19日", "December 18", ["19日"]),
    ("12月19日", "19 November", ["12月"]),
    ("4月", "in May", ["4月"]),
    ("11个项目", "projects in November", ["11个"]),
    ("２０２５年", "2024", ["２０２５年"]),
    ("二〇二四年", "2014", ["二〇二四年"]),
    ("3—5年", "three to six years", ["3—5年"]),
    ("两个集群", "three clusters", ["两个"]),
    ("五大基地", "four major bases", ["五大"]),
    ("一百家", "1,000 companies", ["一百家"]),
    ("三千人", "300 people", ["三千人"]),
    ("20余年", "two years", ["20余年"]),
    ("“十四五”末", "by the end of the 13th Five-Year Plan", ["十四五"]),
    ("第一家", "the second company", ["第一家"]),
    ("¹⁷⁷核素", "¹⁷⁶Lu", ["¹⁷⁷"]),
    ("“241”体系", "the “421” system", ["241"]),
    ("7个项目，总投资36.3亿元", "projects with a total investment of 3.63 billion yuan", ["7个"]),
    ("¹⁷⁷核素和¹⁷⁷核素", "¹⁷⁷Lu nuclide and Lu nuclide", ["¹⁷⁷"]),
    ("三、保障措施", "II. Safeguards", ["三"]),
    ("第一部分", "I think so", ["第一"]),
    ("面积达5×10⁴平方米", "an area of 104 square metres", ["5×10⁴"]),
    ("面积达5×10⁴平方米", "an area of 5,000 square metres", ["5×10⁴"]),
    ("排放低于１０⁻³吨", "emissions below 10³ tonnes", ["１０⁻³"]),
    ("面积100m²", "an area of 2 square metres", ["100"]),
    ("占全国1/3", "a quarter of the national total", ["1/3"]),
    ("20世纪80年代", "the 1970s", ["20世纪80年代"]),
    ("近10年", "nearly two decades", ["10年"]),
    ("二十年", "a decade", ["二十年"]),
    ("零下5摄氏度", "minus 6 degrees Celsius", ["5"]),
    ("三产增长7%", "services grew 3%", ["7%"]),
    ("增长两倍", "quadrupled", ["两倍"]),
    ("5亿元", "half a million yuan", ["5亿元"]),
    ("占50%", "0.5% of it", ["50%"]),
    ("约1.2万亿元", "about RMB1.2bn", ["1.2万亿元"]),
]


@pytest.mark.parametrize("chinese, english", EQUAL)
def test_english_that_states_every_figure_passes(chinese, english):
    assert missing_figures(chinese, english) == []


@pytest.mark.parametrize("chinese, english, missing", UNEQUAL)
def test_wrong_or_missing_figure_is_reported_by_its_chinese_text(chinese, english, missing):
    assert [f.text for f in missing_figures(chinese, english)] == missing


@pytest.mark.parametrize(
    "chinese, values",
    [
        ("36.3亿元", [Fraction("3.63e9")]),
        ("400多亿元", [Fraction(4 * 10**10)]),
        ("一亿二千万", [Fraction(120_000_000)]),
        ("十二万三千", [Fraction(123_000)]),
        ("五万亿", [Fraction(5 * 10**12)]),
        ("三点五", [Fraction(7, 2)]),
        ("3—5亿元", [Fraction(3 * 10**8), Fraction(5 * 10**8)]),
        ("5千瓦", [Fraction(5000)]),
        ("十四五", [Fraction(14)]),
        ("第一家", [Fraction(1)]),
        ("一批", []),
        ("四川", []),
        ("十几个", []),
        ("数十家", []),
        ("１０⁻³吨", [Fraction(1, 1000)]),
        ("2.5×10⁶吨", [Fraction(2_500_000)]),
        ("100km²", [Fraction(100)]),
        ("¹⁷⁷Lu", [Fraction(177)]),
        ("（记者 张三 摄）", []),  # a given name after a surname
        ("记者李四、王五报道", []),
        ("周三开会", []),  # Wednesday
        ("王五家企业", [Fraction(5)]),  # a measure word after it: a count
        ("于三季度", [Fraction(3)]),  # 于 is "in", not a surname
        ("共三家", [Fraction(3)]),
        ("零售额", []),
        ("一百零五", [Fraction(105)]),  # 零 inside a number still reads
        ("第二产业", []),
        ("1/4", [Fraction(1, 4)]),
        ("24/7服务", [Fraction(24), Fraction(7)]),
        ("100MW/400MWh", [Fraction(100_000_000), Fraction(400_000_000)]),  # a slash between units: no fraction
        ("2023/24", [Fraction(2023), Fraction(24)]),
        ("90年代", [Fraction(90), Fraction(1990), Fraction(2090)]),
    ],
)
def test_chinese_figures_apply_multipliers_and_skip_words(chinese, values):
    assert [v for f in chinese_figures(chinese) for v in sorted(f.values)] == values


@pytest.mark.parametrize(
    "english, values",
    [
        ("3.63 billion", [Fraction("3.63e9")]),
        ("100-billion-yuan", [Fraction(10**11)]),
        ("a million", [Fraction(10**6)]),
        ("three and five", [Fraction(3), Fraction(5)]),
        ("twenty-first", [Fraction(21)]),
        ("5,000 MW", [Fraction(5 * 10**9)]),
        ("2021–2025", [Fraction(2021), Fraction(2025)]),
        ("1.5 × 10⁻³", [Fraction(3, 2000)]),
        ("10^4 tonnes", [Fraction(10_000)]),
        ("30 m³ a day", [Fraction(30)]),
        ("a decade", [Fraction(10)]),
        ("three decades", [Fraction(30)]),
        ("the past decade", [Fraction(10)]),
        ("1/4 of it", [Fraction(1, 4)]),
        ("open 24/7", [Fraction(24), Fraction(7)]),  # no fraction above one
        ("for decades", []),
    ],
)
def test_english_figures_read_digits_words_and_scales(english, values):
    assert [v for f in english_figures(english) for v in sorted(f.values)] == values


def test_months_are_month_figures_on_both_sides():
    assert [f.kind for f in chinese_figures("12月19日")] == [FigureKind.MONTH, FigureKind.QUANTITY]
    assert [f.kind for f in english_figures("Nov. 19")] == [FigureKind.MONTH, FigureKind.QUANTITY]


def test_figure_text_and_offsets_quote_the_original_full_width_text():
    (figure,) = chinese_figures("占６０％以上")
    assert (figure.text, figure.start, figure.end) == ("６０％", 1, 4)


def test_numerals_inside_named_spans_are_not_asked_for():
    source = "乐山市五通桥区一角"
    assert [f.text for f in missing_figures(source, "A corner of Wutongqiao District")] == ["五"]
    assert missing_figures(source, "A corner of Wutongqiao District", names=[(3, 6)]) == []


@pytest.mark.parametrize(
    "value, written",
    [
        (Fraction(3_630_000_000), "3.63 billion"),
        (Fraction(10_000_000), "10 million"),
        (Fraction(950_000), "950,000"),
        (Fraction(5, 2), "2.5"),
        (Fraction(1, 3), "0.3333"),
    ],
)
def test_english_form_writes_values_as_an_english_reader_expects(value, written):
    assert english_form(value) == written
