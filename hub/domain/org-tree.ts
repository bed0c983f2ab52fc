import type { OrgKind } from "../db/entities";

/**
 * Which kind of org unit may sit under which: 总行 → 分行 → (二级分行) → 支行. An outlet may hang directly
 * under a branch; the head office is the only root.
 */
export const ALLOWED_CHILDREN: Readonly<Record<OrgKind, readonly OrgKind[]>> = {
  hq: ["branch"],
  branch: ["sub_branch", "outlet"],
  sub_branch: ["outlet"],
  outlet: [],
};

export function mayContain(parent: OrgKind, child: OrgKind): boolean {
  return ALLOWED_CHILDREN[parent].includes(child);
}

export function childPath(parentPath: string, code: string): string {
  return `${parentPath}/${code}`;
}
