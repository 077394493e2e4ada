//! Asking each thing once: the graphs and queue insight both gather the expressions an evaluation
//! needs, several of which repeat (a headline that is also an edge's rate), and ask each once.

/// `item`'s index in `distinct`, where it is pushed the first time it comes.
pub fn index_of<T: PartialEq>(distinct: &mut Vec<T>, item: T) -> usize {
    match distinct.iter().position(|d| *d == item) {
        Some(i) => i,
        None => {
            distinct.push(item);
            distinct.len() - 1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_get_the_first_index() {
        let mut distinct = Vec::new();
        let index: Vec<usize> = ["a", "b", "a", "c", "b"].into_iter().map(|e| index_of(&mut distinct, e)).collect();
        assert_eq!(index, [0, 1, 0, 2, 1]);
        assert_eq!(distinct, ["a", "b", "c"]);
    }
}
