import { Clipboard, Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import type { IClassroom } from '../../tokens';
import { button } from './controls';
import { asker, InvitePanel } from './invite';

/** Open the Invite dialog on the classroom's connection. */
export async function showInviteDialog(model: IClassroom): Promise<void> {
  const trans = model.trans;
  const panel = new InvitePanel(asker(model.connection), trans, text => Clipboard.copyToSystem(text));
  void panel.refresh();
  const body = new Widget({ node: panel.node });
  await showDialog({
    title: trans.__('Invite people'),
    body,
    buttons: [Dialog.cancelButton({ label: trans.__('Close') })],
    // Enter in the form makes a link; it does not close the dialog.
    defaultButton: -1,
    focusNodeSelector: 'select'
  });
}

/**
 * The instructors' "Invite…" button (hidden from students): a self-contained
 * control that the teaching tools place where they like.
 */
export function inviteButton(model: IClassroom): HTMLButtonElement {
  const trans = model.trans;
  const b = button(
    trans.__('Invite…'),
    () => void showInviteDialog(model),
    trans.__('Invite people to this classroom')
  );
  b.classList.add('jp-Classroom-inviteButton');
  b.setAttribute('aria-haspopup', 'dialog');
  const show = () => {
    // On a hub, the hub decides who enters: no invitations there.
    const onHub = !!model.endpoint?.classrooms.length;
    b.hidden = onHub || model.me?.role !== 'instructor';
  };
  model.joined.connect(show);
  model.roster.reset.connect(show);
  model.roster.participantUpdated.connect(show);
  show();
  return b;
}
