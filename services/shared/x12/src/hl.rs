//! Groups a transaction's segments into HL loops with parent links (271, 837, 277CA all nest
//! their content this way). Knows nothing of level codes' meaning.

use std::collections::HashMap;

use crate::error::Error;
use crate::segment::Segment;

/// One HL loop: the HL segment and every segment up to the next HL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HlLoop<'t, 'a> {
    /// HL01 hierarchical id.
    pub id: &'a str,
    /// HL02 parent id; `None` for a top-level loop.
    pub parent_id: Option<&'a str>,
    /// HL03 level code, e.g. `20` source, `21` receiver, `22` subscriber, `23` dependent.
    pub level: &'a str,
    /// HL04 child code: `Some(true)` when the sender says child loops follow.
    pub has_children: Option<bool>,
    /// Index of the parent loop in [`HlTree::loops`].
    pub parent: Option<usize>,
    /// Indexes of the child loops in [`HlTree::loops`], in input order.
    pub children: Vec<usize>,
    /// The HL segment first, then the loop's own segments.
    pub segments: &'t [Segment<'a>],
}

impl<'t, 'a> HlLoop<'t, 'a> {
    /// The loop's segments after its HL.
    pub fn body(&self) -> &'t [Segment<'a>] {
        self.segments.get(1..).unwrap_or_default()
    }
}

/// The HL loops of one transaction, in input order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HlTree<'t, 'a> {
    /// Segments before the first HL (e.g. BHT, or 837's submitter/receiver loops).
    pub header: &'t [Segment<'a>],
    pub loops: Vec<HlLoop<'t, 'a>>,
}

impl<'t, 'a> HlTree<'t, 'a> {
    /// Builds the tree. A parent must appear before its children, ids must be unique.
    pub fn build(segments: &'t [Segment<'a>]) -> Result<Self, Error> {
        let starts: Vec<usize> = segments.iter().enumerate().filter(|(_, s)| s.id() == "HL").map(|(i, _)| i).collect();
        let first = starts.first().copied().unwrap_or(segments.len());
        let header = segments.get(..first).unwrap_or_default();
        let mut loops: Vec<HlLoop<'t, 'a>> = Vec::with_capacity(starts.len());
        let mut by_id: HashMap<&'a str, usize> = HashMap::with_capacity(starts.len());
        for (n, &start) in starts.iter().enumerate() {
            let end = starts.get(n + 1).copied().unwrap_or(segments.len());
            let slice = segments.get(start..end).unwrap_or_default();
            let Some(hl) = slice.first() else { continue };
            let at = hl.position();
            let id = hl.element(1).ok_or(Error::Hierarchy { reason: "HL01 is missing", at })?;
            let parent_id = hl.element(2);
            let parent = match parent_id {
                Some(p) => Some(*by_id.get(p).ok_or(Error::Hierarchy { reason: "HL02 names no earlier HL", at })?),
                None => None,
            };
            let index = loops.len();
            if by_id.insert(id, index).is_some() {
                return Err(Error::Hierarchy { reason: "HL01 is not unique", at });
            }
            if let Some(p) = parent.and_then(|p| loops.get_mut(p)) {
                p.children.push(index);
            }
            let has_children = match hl.element(4) {
                Some("1") => Some(true),
                Some("0") => Some(false),
                _ => None,
            };
            let level = hl.element_or_empty(3);
            loops.push(HlLoop { id, parent_id, level, has_children, parent, children: Vec::new(), segments: slice });
        }
        Ok(Self { header, loops })
    }

    /// The loops without parent.
    pub fn roots(&self) -> impl Iterator<Item = &HlLoop<'t, 'a>> {
        self.loops.iter().filter(|l| l.parent.is_none())
    }

    /// The child loops of `loops[index]`.
    pub fn children(&self, index: usize) -> impl Iterator<Item = &HlLoop<'t, 'a>> {
        let kids = self.loops.get(index).map(|l| l.children.as_slice()).unwrap_or_default();
        kids.iter().filter_map(|&i| self.loops.get(i))
    }

    /// The chain of parents of `loops[index]`, nearest first.
    pub fn ancestors(&self, index: usize) -> impl Iterator<Item = &HlLoop<'t, 'a>> {
        let mut next = self.loops.get(index).and_then(|l| l.parent);
        std::iter::from_fn(move || {
            let l = self.loops.get(next?)?;
            next = l.parent;
            Some(l)
        })
    }

    /// The loops with a given HL03 level code, with their indexes.
    pub fn with_level<'s>(&'s self, level: &'s str) -> impl Iterator<Item = (usize, &'s HlLoop<'t, 'a>)> {
        self.loops.iter().enumerate().filter(move |(_, l)| l.level == level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read;

    fn text(body: &str) -> String {
        let n = body.matches('~').count() + 2;
        format!(
            "ISA*00*          *00*          *ZZ*A              *ZZ*B              *260115*0930*^*00501*000000001*0*T*:~\
             GS*HB*A*B*20260115*0930*1*X*005010X279A1~ST*271*0001~{body}SE*{n}*0001~GE*1*1~IEA*1*000000001~"
        )
    }

    #[test]
    fn builds_parent_links_and_bodies() {
        let t = text("BHT*0022*11~HL*1**20*1~NM1*PR~HL*2*1*21*1~NM1*1P~HL*3*2*22*1~NM1*IL~EB*1~HL*4*3*23*0~NM1*03~");
        let doc = read(t.as_bytes()).expect("valid");
        let (_, tx) = doc.transactions().next().expect("one");
        let tree = HlTree::build(&tx.segments).expect("tree");
        assert_eq!(tree.header.len(), 1);
        assert_eq!(tree.loops.len(), 4);
        assert_eq!(tree.loops[2].body().len(), 2);
        assert_eq!(tree.loops[3].parent, Some(2));
        assert_eq!(tree.loops[3].has_children, Some(false));
        let levels: Vec<&str> = tree.ancestors(3).map(|l| l.level).collect();
        assert_eq!(levels, ["22", "21", "20"]);
        assert_eq!(tree.children(0).count(), 1);
        assert_eq!(tree.roots().count(), 1);
        assert_eq!(tree.with_level("23").next().map(|(i, _)| i), Some(3));
    }

    #[test]
    fn unknown_parent_is_an_error() {
        let t = text("HL*1**20*1~HL*2*9*21*0~");
        let doc = read(t.as_bytes()).expect("valid");
        let (_, tx) = doc.transactions().next().expect("one");
        assert!(matches!(HlTree::build(&tx.segments), Err(Error::Hierarchy { .. })));
    }

    #[test]
    fn duplicate_id_is_an_error() {
        let t = text("HL*1**20*1~HL*1**20*0~");
        let doc = read(t.as_bytes()).expect("valid");
        let (_, tx) = doc.transactions().next().expect("one");
        assert!(matches!(HlTree::build(&tx.segments), Err(Error::Hierarchy { .. })));
    }
}
