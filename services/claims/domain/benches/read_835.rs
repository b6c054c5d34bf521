//! 835 reading speed in claim payments per second, over a synthetic remittance of 1,000 claims
//! (two service lines each) and over the public TigerShark sample.

#[path = "../tests/common/mod.rs"]
mod common;

use claims_domain::remit835::read_835;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// An 835 paying `n` claims of the synthetic massage clinic.
fn remittance(n: usize) -> String {
    let mut body = String::from(
        "BPR*I*0*C*ACH*CCP*01*999999992*DA*123456*1512345678**01*999988880*DA*98765*20260130~\
         TRN*1*EFT0000123*1512345678~N1*PR*SYNTHETIC HEALTH PLAN~N1*PE*SYNTHETIC MASSAGE CLINIC*XX*1748392010~LX*1~",
    );
    for i in 0..n {
        body.push_str(&format!(
            "CLP*PCN{i:07}*1*190*113*37*12*PAYERCLM{i:07}*11*1~NM1*QC*1*TESTPATIENT*AVERY****MI*MEM0000001~\
             SVC*HC:97124:GP*110*65**2~DTM*472*20260110~CAS*CO*45*20~CAS*PR*3*25~REF*6R*LINE0001~AMT*B6*90~\
             SVC*HC:97140:GP*80*48**1~DTM*472*20260110~CAS*CO*45*20~CAS*PR*2*12~REF*6R*LINE0002~AMT*B6*60~"
        ));
    }
    let segments = body.matches('~').count() + 2;
    format!(
        "ISA*00*          *00*          *ZZ*PAYER01        *ZZ*CLINIC01       *260115*0930*^*00501*000000001*0*T*:~\
         GS*HP*PAYER01*CLINIC01*20260115*0930*1*X*005010X221A1~ST*835*0001~{body}SE*{segments}*0001~GE*1*1~IEA*1*000000001~"
    )
}

fn read(c: &mut Criterion) {
    let mut group = c.benchmark_group("read_835");
    let n = 1000;
    let text = remittance(n);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_with_input(BenchmarkId::new("synthetic_claims", n), &text, |b, text| {
        b.iter(|| read_835(text.as_bytes()).map(|p| p.transactions.len()))
    });
    let sample = common::fixture("x12/835/tigershark_5010_835_example_3.x12");
    group.throughput(Throughput::Elements(2));
    group.bench_function("tigershark_example_3", |b| b.iter(|| read_835(&sample).map(|p| p.transactions.len())));
    group.finish();
}

criterion_group!(benches, read);
criterion_main!(benches);
