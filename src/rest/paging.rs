//! Reading a whole REST list page by page: every list endpoint takes the
//! same `pageNo` / `recordsPerPage` beside its filter, and the loop stops at
//! a short page, the reported total, or [`MAX_PAGES`] (bounded work).

use serde::Serialize;

use super::client::{Auth, RestClient};
use super::error::RestError;

/// Largest page the list endpoints serve.
pub const MAX_PAGE_SIZE: u32 = 500;
/// Most pages a whole-list read makes before it stops.
pub const MAX_PAGES: u32 = 20;

/// One page of a list answer.
pub(crate) trait ListPage: serde::de::DeserializeOwned {
    /// What the list holds.
    type Item;
    /// The page's items and the upstream's total across all pages.
    fn into_parts(self) -> (Vec<Self::Item>, Option<u64>);
}

/// A filter plus the page to read.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Paged<'a, F: Serialize> {
    #[serde(flatten)]
    filter: &'a F,
    page_no: u32,
    records_per_page: u32,
}

impl RestClient {
    /// Asks `path` for page after page of `filter`'s matches until a short
    /// page, the reported total, or [`MAX_PAGES`].
    pub(crate) async fn list_all<P: ListPage, F: Serialize>(
        &self,
        path: &str,
        auth: &Auth,
        filter: &F,
    ) -> Result<Vec<P::Item>, RestError> {
        let mut all = Vec::new();
        for page_no in 1..=MAX_PAGES {
            let body = Paged {
                filter,
                page_no,
                records_per_page: MAX_PAGE_SIZE,
            };
            let page: P = self.post(path, auth, Some(&body)).await?;
            let (items, total) = page.into_parts();
            let got = items.len();
            all.extend(items);
            if is_last_page(got, all.len(), total) {
                break;
            }
        }
        Ok(all)
    }
}

/// True when no further page is worth asking for.
fn is_last_page(got: usize, so_far: usize, total: Option<u64>) -> bool {
    got < MAX_PAGE_SIZE as usize || total.is_some_and(|t| so_far as u64 >= t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_stops_on_a_short_page_or_the_total() {
        assert!(is_last_page(3, 3, None));
        assert!(!is_last_page(500, 500, None));
        assert!(!is_last_page(500, 500, Some(501)));
        assert!(is_last_page(500, 1000, Some(1000)));
    }
}
