/**
 * The GraphQL documents the crawler sends. Each names its operation so logs (and the loopback test
 * server) can tell them apart. Comment ids come from `fullDatabaseId` (a string: review-comment ids
 * no longer fit GraphQL's 32-bit Int).
 */
export const COMMENT_FIELDS = `fragment CommentFields on PullRequestReviewComment {
  fullDatabaseId url path body diffHunk createdAt
  line startLine originalLine originalStartLine
  author { login } commit { oid } originalCommit { oid }
}`;

export const THREAD_FIELDS = `fragment ThreadFields on PullRequestReviewThread {
  id
  comments(first: $comments) { pageInfo { hasNextPage endCursor } nodes { ...CommentFields } }
}`;

/** One page of a repository's pull requests (oldest first, so new ones only ever append), each with its first threads and comments. */
export const REPO_PULLS_QUERY = `query RepoPulls($owner: String!, $name: String!, $pulls: Int!, $after: String, $threads: Int!, $comments: Int!) {
  repository(owner: $owner, name: $name) {
    nameWithOwner
    pullRequests(first: $pulls, after: $after, orderBy: { field: CREATED_AT, direction: ASC }) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        id number title state author { login }
        reviewThreads(first: $threads) { pageInfo { hasNextPage endCursor } nodes { ...ThreadFields } }
      }
    }
  }
}
${THREAD_FIELDS}
${COMMENT_FIELDS}`;

/** Further review threads of one pull request. */
export const PULL_THREADS_QUERY = `query PullThreads($id: ID!, $after: String, $threads: Int!, $comments: Int!) {
  node(id: $id) {
    ... on PullRequest { reviewThreads(first: $threads, after: $after) { pageInfo { hasNextPage endCursor } nodes { ...ThreadFields } } }
  }
}
${THREAD_FIELDS}
${COMMENT_FIELDS}`;

/** Further comments of one review thread. */
export const THREAD_COMMENTS_QUERY = `query ThreadComments($id: ID!, $after: String, $comments: Int!) {
  node(id: $id) {
    ... on PullRequestReviewThread { comments(first: $comments, after: $after) { pageInfo { hasNextPage endCursor } nodes { ...CommentFields } } }
  }
}
${COMMENT_FIELDS}`;

/** Repository search for sampling: one window of creation dates, with the pull-request count the filter needs. */
export const SEARCH_REPOS_QUERY = `query SearchRepos($q: String!, $first: Int!, $after: String) {
  search(query: $q, type: REPOSITORY, first: $first, after: $after) {
    repositoryCount
    pageInfo { hasNextPage endCursor }
    nodes {
      ... on Repository {
        nameWithOwner stargazerCount createdAt isFork isArchived
        primaryLanguage { name }
        pullRequests { totalCount }
      }
    }
  }
}`;

/** Pull-request totals of many repositories in one request (for the dry-run estimate). */
export function repoTotalsQuery(count: number): string {
  const vars = Array.from({ length: count }, (_, i) => `$o${i}: String!, $n${i}: String!`).join(', ');
  const fields = Array.from({ length: count }, (_, i) => `r${i}: repository(owner: $o${i}, name: $n${i}) { nameWithOwner pullRequests { totalCount } }`).join('\n  ');
  return `query RepoTotals(${vars}) {\n  ${fields}\n}`;
}
