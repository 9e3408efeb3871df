// The GitHub settings the pipeline relies on, written once: which environments exist, which
// branches may deploy to each, which branches are protected and by which checks. setup-github
// makes a repository match them; docs/setup-github.md explains each choice.

/**
 * A required status check: a job of one of our workflows, named as GitHub names its check run
 * (the job's `name:`, else its id; a job that calls a reusable workflow reports one check per
 * called job, `<caller> / <called>`). The test holds each to .github/workflows.
 */
export interface RequiredCheck {
  context: string;
  /** The workflow file under `.github/workflows/`. */
  workflow: string;
  /** The job's id in that workflow. */
  job: string;
  /** For a job that calls a reusable workflow: the called workflow's job. */
  calledJob?: string;
  /** The run that reports it on the commit a pull request would merge. */
  reportedBy: { event: 'push' | 'pull_request'; branch: string };
}

export interface EnvironmentSettings {
  name: string;
  /** `protected`: any protected branch; else exactly these branches (custom branch policies). */
  deploymentBranches: 'protected' | string[];
  /** `required`: reviewers must approve (given by --reviewers or kept); `none`: no reviewers; `kept`: left as they are. */
  reviewers: 'required' | 'none' | 'kept';
}

export interface BranchSettings {
  branch: string;
  /** Required to pass; checks required by hand besides these are kept. */
  checks: RequiredCheck[];
  /** Merges only through a pull request with at least this many approvals; null: left as it is. */
  pullRequestApprovals: number | null;
  /** No merge commits (squash or rebase merges only). */
  linearHistory: boolean;
}

// validate-dev.yml: on push and pull_request to dev.
const validateDev = (job: string, event: 'push' | 'pull_request'): RequiredCheck => ({
  context: job,
  workflow: 'validate-dev.yml',
  job,
  reportedBy: { event, branch: 'dev' },
});

// ci.yml's test job runs on every pull request except those into dev.
const ciTest = (branch: string): RequiredCheck => ({
  context: 'test',
  workflow: 'ci.yml',
  job: 'test',
  reportedBy: { event: 'pull_request', branch },
});

// deploy-staging.yml on the push to staging: its `database` job calls db-sync.yml.
const stagingDeploy = (calledJob: string): RequiredCheck => ({
  context: `database / ${calledJob}`,
  workflow: 'deploy-staging.yml',
  job: 'database',
  calledJob,
  reportedBy: { event: 'push', branch: 'staging' },
});

export const ENVIRONMENTS: EnvironmentSettings[] = [
  // db-sync may target dev, dispatched from any protected branch; never from a feature branch.
  { name: 'dev', deploymentBranches: 'protected', reviewers: 'kept' },
  // As docs/github-setup.md asks: only the staging branch's code gets staging's secrets.
  { name: 'staging', deploymentBranches: ['staging'], reviewers: 'kept' },
  // The read-only production plan: after a merge to main, and on the pull request from staging
  // into main (a pull request's run is allowed by its head branch) — never a feature branch.
  { name: 'production-plan', deploymentBranches: ['main', 'staging'], reviewers: 'none' },
  // The one approval: main only.
  { name: 'production', deploymentBranches: ['main'], reviewers: 'required' },
];

export const BRANCHES: BranchSettings[] = [
  {
    branch: 'dev',
    checks: [validateDev('checks', 'pull_request'), validateDev('migrations', 'pull_request')],
    pullRequestApprovals: null,
    linearHistory: false,
  },
  {
    // A commit reaches staging from dev: validate-dev's checks ran on it when it was pushed to
    // dev (a branch that never was dev cannot pass them), ci's test on the pull request itself.
    branch: 'staging',
    checks: [validateDev('checks', 'push'), validateDev('migrations', 'push'), ciTest('staging')],
    pullRequestApprovals: 0,
    linearHistory: false,
  },
  {
    // The pull request from staging into main: its head is the commit deploy-staging synced,
    // validated and health-checked. `report` fails when any db-sync job failed (a skipped
    // health-check alone would count as passed).
    branch: 'main',
    checks: [
      ciTest('main'),
      stagingDeploy('health-check'),
      stagingDeploy('report'),
      {
        context: 'app-health',
        workflow: 'deploy-staging.yml',
        job: 'app-health',
        reportedBy: { event: 'push', branch: 'staging' },
      },
    ],
    pullRequestApprovals: 1,
    linearHistory: true,
  },
];
