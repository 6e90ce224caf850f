/** "Copy": makes a personality (a built-in, or one's own) into a new one of the user's and opens it. */
import { useNavigate } from 'react-router';

import { Button } from '../../../components/ui/button';
import { useToast } from '../../../components/ui/toast';
import { useCopyPersonality } from '../api/copy-personality';
import type { Personality } from '../api/get-personality';

export function CopyButton({
  personality,
  variant,
}: {
  personality: Personality;
  variant?: 'secondary' | 'ghost';
}) {
  const copy = useCopyPersonality();
  const toast = useToast();
  const navigate = useNavigate();
  return (
    <Button
      size="small"
      variant={variant}
      disabled={copy.isPending}
      aria-label={`Copy ${personality.name}`}
      onClick={() =>
        copy.mutate(personality.id, {
          onSuccess: (created) => {
            toast.add({
              title: `Copied as ${created.name}`,
              description: 'You can edit your copy.',
            });
            void navigate(`/personalities/${created.id}`);
          },
          onError: (error) =>
            toast.add({ title: `Could not copy ${personality.name}`, description: error.message }),
        })
      }
    >
      {copy.isPending ? 'Copying…' : 'Copy'}
    </Button>
  );
}
